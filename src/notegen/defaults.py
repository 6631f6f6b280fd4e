"""The defaults of the settings that modules below the settings also take as arguments (the arXiv client, the
bounded PDF workers): one home, so a client made without settings (a test, a check) behaves as a run does.
No imports: the worker processes load this module too."""

ARXIV_INTERVAL = 3.0  # seconds between arXiv API calls (arXiv's terms ask for 3)
HTTP_TIMEOUT = 60.0  # seconds one arXiv API call or one PDF download may take, every try and wait included
RETRIES = 4  # tries for transient network errors
PDF_CONNECTIONS = 2  # PDF downloads at once
EXTRACT_TIMEOUT = 60.0  # seconds each read of a PDF may take
EXTRACT_MEMORY_MB = 2048  # memory one read of a PDF may take
