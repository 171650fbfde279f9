"""Tests of the Python client against a live `cimhil serve` on the emulator.

Run by tests/CimHil.Server.Tests (PythonClientTests), which starts the server and passes: CIMHIL_URL (the server),
CIMHIL_PLAN (a small plan file), CIMHIL_CLI (cimhil.dll, for the HDF5 export), CIMHIL_CONFIG and CIMHIL_RESULT (where
this writes what it saw, for the C# side to check against the store). Standard library unittest, so pytest is optional.
"""

import json
import os
import subprocess
import tempfile
import unittest

import pandas as pd

import cimhil

from .followed import FollowedWorkflowTest


def _db(run):
    return os.path.join(os.environ["CIMHIL_RUNS"], run, "measurements.db")


class ClientTests(FollowedWorkflowTest):
    @classmethod
    def follow(cls, client, bar):
        with open(os.environ["CIMHIL_PLAN"], encoding="utf-8") as f:
            plan = f.read()
        return client.characterize(plan_json=plan, progress=True, file=bar)

    def test_a_characterisation_is_followed_to_completion_with_a_progress_bar(self):
        self.assertEqual(self.final["status"], "finished", self.final.get("error"))
        self.assertTrue(self.final["safeState"])
        self.assertIn("multilevel", self.bar.getvalue())
        self.assertIn("finished", self.bar.getvalue())
        self.assertEqual(self.client.operation()["status"], "finished")

    def test_measurements_are_a_dataframe_with_the_stores_rows(self):
        frame = self.client.measurements(self.run_id, page_size=700)
        store = cimhil.read_store(_db(self.run_id))
        self.assertIsInstance(frame, pd.DataFrame)
        self.assertEqual(len(frame), self.final["result"]["measurements"])
        self.assertEqual(len(frame), len(store))
        self.assertEqual(list(frame[["procedure", "row", "column", "step", "seq"]].itertuples(index=False)),
                         list(store[["procedure", "row", "column", "step", "seq"]].itertuples(index=False)))
        reads = frame[frame["kind"] == "read"]
        self.assertTrue((reads["conductanceS"] > 0).any())
        pd.testing.assert_series_equal(frame["conductanceS"], store["conductanceS"], check_names=False)
        self.assertTrue((frame["timestamp"] == store["timestamp"]).all())
        with open(os.environ["CIMHIL_RESULT"], "w", encoding="utf-8") as f:
            json.dump({"run": self.run_id, "status": self.final["status"], "rows": len(frame), "storeRows": len(store)}, f)

    def test_units_and_runs(self):
        units = self.client.units(self.run_id)
        self.assertEqual(len(units), len(cimhil.read_store_units(_db(self.run_id))))
        self.assertEqual({"multilevel", "forming", "stuckMap", "readNoise"} & set(units["procedure"]), {"multilevel", "forming", "stuckMap", "readNoise"})
        runs = self.client.runs()
        self.assertIn(self.run_id, list(runs["id"]))

    def test_an_unsafe_pulse_is_refused_naming_the_limit(self):
        with self.assertRaises(cimhil.SafetyRefused) as refused:
            self.client.program(0, 0, "set", 4.5)
        self.assertEqual(refused.exception.status, 422)
        self.assertEqual(refused.exception.limit, 3.0)
        self.assertIn("exceeds the maximum 3 V", refused.exception.message)

    def test_a_block_read_is_a_dataframe_of_the_block(self):
        block = self.client.read_block(row=2, column=1, rows=3, columns=4)
        self.assertEqual(block.shape, (3, 4))
        self.assertEqual(list(block.index), [2, 3, 4])
        self.assertEqual(list(block.columns), [1, 2, 3, 4])

    def test_the_hdf5_export_reads_back_with_the_stores_rows(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "export.h5")
            subprocess.run(["dotnet", os.environ["CIMHIL_CLI"], "export", _db(self.run_id), "--format", "hdf5", "--out", path,
                            "--config", os.environ["CIMHIL_CONFIG"]], check=True, capture_output=True)
            frame = cimhil.read_hdf5(path)
        self.assertEqual(len(frame), len(cimhil.read_store(_db(self.run_id))))
        self.assertIn("procedure", frame.columns)


if __name__ == "__main__":
    unittest.main()
