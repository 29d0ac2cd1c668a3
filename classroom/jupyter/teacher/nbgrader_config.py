"""nbgrader's settings for the teacher's server only: where the course folder is.

The hand-out (classroom/handout.py --edition teacher) creates ~/handwritten-digits/course; the
formgrader and the nbgrader commands work there wherever they are started.
"""

import os

c = get_config()  # noqa: F821 -- nbgrader defines get_config() when it reads this file

c.CourseDirectory.root = os.path.expanduser("~/handwritten-digits/course")
