"""``| auth0watchlist``: the file splunkd runs (commands.conf: ``filename = auth0watchlist.py``, ``chunked = true``).

UCC generates a splunklib wrapper of this name from globalConfig.json's ``customSearchCommand``; this file replaces
it in the build. It speaks the search command protocol itself (``ta_auth0.watchlist_command``): that makes the
command faster than splunklib's do-nothing StreamingCommand, and lets it answer getinfo as a search-head-only
command (the generated wrapper would let splunkd distribute it to indexers, which have no KV store).
"""

import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
_LIB = os.path.join(os.path.dirname(_BIN), "lib")
for _path in (_LIB, _BIN):  # bin/ first: ta_auth0; then lib/: splunklib, for reading the KV store
    if _path not in sys.path:
        sys.path.insert(0, _path)

from ta_auth0.watchlist_command import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
