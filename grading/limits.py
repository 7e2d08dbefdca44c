"""What one submission may use: the one definition of the grader's limits.

The pipeline (`make grade`), `make check` and the stock comparison read their limits from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    """What one submission may use. Times in seconds, sizes in MB."""

    cell_timeout: int = 300
    submission_timeout: int = 900
    memory_mb: int = 4096          # resident memory of the kernel and its children (watchdog)
    address_space_mb: int = 32768  # RLIMIT_AS: a 50 GB allocation fails at once with MemoryError
    file_size_mb: int = 512        # RLIMIT_FSIZE: no file the kernel writes grows past this
    max_processes: int = 256       # RLIMIT_NPROC for the sandbox uid (root only): no fork bomb
    max_output_kb: int = 512       # text output kept per cell; the rest is dropped, with a note
    max_stream_mb: int = 8         # stdout+stderr a kernel may write in all; the rest is dropped at the source
    network: bool = False          # True keeps the network (and skips the namespace)
