"""pygal, made safe for the dashboard once, and its SVG as an image's data: URI.

pygal appends an import hook for its map plugins (not used here) to `sys.meta_path`. On
Python 3.11 every later import that no other finder resolves then goes through the hook's
old-style `find_module`, with an ImportWarning; where warnings are errors, that import
fails (uvicorn's optional `httptools`, for one). The hook is taken out.
"""

from __future__ import annotations

import base64
import sys

import pygal

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != pygal.__name__]


def data_uri(svg: bytes) -> str:
    """An SVG document as the source of an <img>: the CSP allows data: images only."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
