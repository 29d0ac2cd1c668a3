"""nbgrader's settings for everyone on the course server, teacher and students alike.

Every Jupyter server the hub starts reads this folder (JUPYTER_CONFIG_PATH, set by
classroom/jupyterhub_config.py), and so do the nbgrader commands typed in its terminals.
"""

import os

c = get_config()  # noqa: F821 -- nbgrader defines get_config() when it reads this file

c.CourseDirectory.course_id = "digits"
# The exchange: the teacher releases into it, students fetch from it and submit into it. The hub
# creates it (mode 1777) before the first server starts; COURSE_EXCHANGE says where (the hub sets it).
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
# A fetched assignment lands beside the notebooks, in ~/handwritten-digits/ASSIGNMENT, where
# ../data and ../models lead to the course's shared folders (nbgrader's default is the home folder).
c.Exchange.assignment_dir = os.path.expanduser("~/handwritten-digits")
# Seconds per cell when nbgrader runs a notebook (autograde, Validate); its default is 30. The
# slowest cell, 08's live training in section 2, took 9.3 s and 10.2 s (results/notebooks.json,
# results/notebooks_load2.json): 120 leaves room for a server that many students share.
c.Execute.timeout = 120
# What nbgrader never copies between folders: its own defaults, and the student-edition tool's
# record of the files it wrote (tools/make_student_edition.py leaves it in source/ASSIGNMENT).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".make_student_edition.json",
]
