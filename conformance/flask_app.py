"""The Flask app real Gunicorn serves in the conformance capture: the Node app's demo routes, plus
/exception, whose error escapes to Gunicorn (that is what makes Gunicorn count log.exception).

Run: gunicorn --statsd-host 127.0.0.1:8125 --statsd-prefix flask_app conformance.flask_app:app
"""

import os
import random
import time

from flask import Flask

# The Node app's --demo-delay-scale: 0.01 turns io_task's 2 s into 20 ms.
DELAY_SCALE = float(os.environ.get("DEMO_DELAY_SCALE", "1"))

# Without this Flask turns an exception into its own 500 and logs it to the app's logger, which
# Gunicorn never sees. Propagated, it reaches Gunicorn's worker, as an error escaping an Express
# route reaches the final error handler.
app = Flask(__name__)
app.config["PROPAGATE_EXCEPTIONS"] = True

# 200 six times as often as each other status.
RANDOM_STATUSES = [200] * 6 + [300, 400, 400, 500]


@app.route("/")
def index():
    return "Hello from Flask under Gunicorn\n"


@app.route("/io_task")
def io_task():
    time.sleep(2 * DELAY_SCALE)
    return "IO bound task finished\n"


@app.route("/cpu_task")
def cpu_task():
    total = 0
    for i in range(100_000):
        total += i * i
    return "CPU bound task finished: %d\n" % total


@app.route("/random_sleep")
def random_sleep():
    time.sleep(random.uniform(0, 5) * DELAY_SCALE)
    return "random sleep finished\n"


@app.route("/random_status")
def random_status():
    status = random.choice(RANDOM_STATUSES)
    return "random status %d\n" % status, status


@app.route("/exception")
def exception():
    raise RuntimeError("conformance: an error escaping the route")
