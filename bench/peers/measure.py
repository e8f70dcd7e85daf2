"""Run one command and report its wall time and the peak RSS of its process tree.

    python measure.py COMMAND [ARG...]   → prints {"seconds": …, "maxRssKb": …, "code": …}

The same measure for ferry and its peers: the clock starts before the command's process is
created and stops when it is reaped, so interpreter start-up counts for everyone alike; peak
RSS is getrusage(RUSAGE_CHILDREN).ru_maxrss (the largest process of the tree, in KiB).
"""

import json
import resource
import subprocess
import sys
import time

t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - t0
if done.returncode != 0:
    sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "maxRssKb": peak, "code": done.returncode}))
