"""Documented size limits for input files (see README, "Limits and bad input").

Files beyond these limits are refused with a clear message before they are parsed, so a
hostile or broken file cannot exhaust memory or time.
"""

MAX_FILE_BYTES = 50 * 1024 * 1024  # one input file on disk
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all parts of one .xlsx once unzipped
MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed size of one xlsx part
MAX_ROWS = 100_000  # data rows in one file
MAX_COLUMNS = 1_000  # columns in the header row
MAX_ANSWER_CHARS = 20_000  # characters in one answer
HEADER_SEARCH_ROWS = 10  # the header row must be among the first rows
DETAILED_CHECK_BYTES = 5 * 1024 * 1024  # workbooks up to this size are checked for merged
# cells, hidden rows and formulas (bigger: streamed)
