"""A whole `cimhil run` through the Python client against a live `cimhil serve` on the emulator.

Run by tests/CimHil.Server.Tests (PythonClientTests), which starts the server with a scaled-down run section and passes
CIMHIL_URL (the server), CIMHIL_RUNS (its runs/ folder) and CIMHIL_RESULT (where this writes what it saw, for the C#
side to check against the run folder's results.json).
"""

import json
import os
import unittest

import pandas as pd

from .followed import FollowedWorkflowTest


class RunTests(FollowedWorkflowTest):
    @classmethod
    def follow(cls, client, bar):
        return client.run(progress=True, file=bar)

    def test_a_run_is_followed_to_completion_with_its_stages_progress(self):
        self.assertEqual(self.final["status"], "finished", self.final.get("error"))
        self.assertTrue(self.final["safeState"])
        shown = self.bar.getvalue()
        # The bar follows every stage of the run: characterisation unit by unit, the Monte-Carlo chips one by one (six in
        # the server's run section), the worst-case steps, with the server's ETA once a stage has a rate.
        for stage in ("characterise", "calibrate", "model", "monte-carlo", "worst-case", "report"):
            self.assertIn(f"\r{stage:<14} [", shown)
        for chip in range(1, 7):
            self.assertRegex(shown, rf"\rmonte-carlo +\[[#.]+\] {chip}/6" + ("" if chip == 1 else r"  ~\d+ s left"))
        self.assertRegex(shown, r"\rworst-case +\[[#.]+\] [1-9]\d*/\d+  ~\d+ s left")
        self.assertTrue(shown.endswith("\nfinished\n"), shown[-200:])
        self.assertEqual(self.client.operation()["status"], "finished")

    def test_monte_carlo_and_worst_case_are_dataframes_with_the_rows_of_results_json(self):
        with open(os.path.join(os.environ["CIMHIL_RUNS"], self.run_id, "results.json"), encoding="utf-8") as f:
            on_disk = json.load(f)
        chips = self.client.monte_carlo(self.run_id)
        curve = self.client.worst_case(self.run_id)

        self.assertIsInstance(chips, pd.DataFrame)
        self.assertIsInstance(curve, pd.DataFrame)
        self.assertEqual(len(chips), len(on_disk["monteCarlo"]["chipAccuracies"]))
        self.assertEqual(list(chips["chip"]), list(range(len(chips))))
        self.assertEqual(list(chips["accuracy"]), on_disk["monteCarlo"]["chipAccuracies"])
        self.assertTrue(chips["accuracy"].between(0, 1).all())
        self.assertEqual(len(curve), len(on_disk["worstCase"]["points"]))
        self.assertEqual(list(curve["k"]), [p["k"] for p in on_disk["worstCase"]["points"]])
        self.assertEqual(list(curve["accuracy"]), [p["accuracy"] for p in on_disk["worstCase"]["points"]])
        # The operation's result is the same document the client's DataFrames came from.
        self.assertEqual(list(chips["accuracy"]), self.final["result"]["monteCarlo"]["chipAccuracies"])
        with open(os.environ["CIMHIL_RESULT"], "w", encoding="utf-8") as f:
            json.dump({"run": self.run_id, "status": self.final["status"], "monteCarloRows": len(chips),
                       "worstCaseRows": len(curve), "worstCaseK": list(curve["k"])}, f)


if __name__ == "__main__":
    unittest.main()
