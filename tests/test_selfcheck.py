"""`make check`'s one line per failed test cell (grading/selfcheck.py), from a cell's error output."""

from __future__ import annotations

from grading.selfcheck import error_message

# What an IPython kernel sends for a visible test that calls an unimplemented function (ANSI colours kept).
TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mNotImplementedError\x1b[0m                       Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[7], line 4\x1b[0m\n\x1b[1;32m      2\x1b[0m out \x1b[38;5;241m=\x1b[39m simple_rnn_forward(x)",
    "Cell \x1b[0;32mIn[5], line 5\x1b[0m, in \x1b[0;36msimple_rnn_forward\x1b[0;34m(x)\x1b[0m\n      4 h = rnn_cell_step(x)",
    "Cell \x1b[0;32mIn[3], line 3\x1b[0m, in \x1b[0;36mrnn_cell_step\x1b[0;34m(x_t)\x1b[0m\n"
    '      2     """One step in order: tanh(x_t @ kernel + ...)."""\n----> 3 raise NotImplementedError()',
    "\x1b[0;31mNotImplementedError\x1b[0m: ",
]


def test_an_unimplemented_function_is_named():
    """The innermost frame is the function still raising: a stub called by another stub names the one called."""
    message = error_message({"ename": "NotImplementedError", "evalue": "", "traceback": TRACEBACK})
    assert message.startswith("`rnn_cell_step` is not implemented yet")


def test_without_a_function_frame_the_message_still_says_not_implemented():
    message = error_message({"ename": "NotImplementedError", "evalue": "", "traceback": TRACEBACK[:3]})
    assert "not implemented yet" in message and "NotImplementedError" in message


def test_other_errors_keep_their_type_and_message():
    assert error_message({"ename": "AssertionError", "evalue": "expected shape (3, 2)", "traceback": TRACEBACK}) \
        == "AssertionError: expected shape (3, 2)"
    assert error_message({"ename": "NotImplementedError", "evalue": "only 2-D inputs", "traceback": []}) \
        == "NotImplementedError: only 2-D inputs"
