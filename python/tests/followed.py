"""What the live-server test classes share: one workflow started in setUpClass and followed with the client's bar."""

import io
import os
import unittest

import cimhil

URL = os.environ.get("CIMHIL_URL", "http://127.0.0.1:8750/")


class FollowedWorkflowTest(unittest.TestCase):
    """Starts the class's workflow once (`follow`, given the client and the bar's file) on CIMHIL_URL and keeps its
    final state (`final`), run id and what the progress bar drew (`bar`) for the tests to examine."""

    run_id = None
    final = None
    bar = None

    @classmethod
    def follow(cls, client, bar):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.client = cimhil.Client(URL)
        cls.bar = io.StringIO()
        cls.final = cls.follow(cls.client, cls.bar)
        cls.run_id = cls.final["run"]
