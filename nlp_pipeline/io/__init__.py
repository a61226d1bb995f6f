"""Files in and out: encoding detection, streaming readers and atomic writers."""
