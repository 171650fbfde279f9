"""HTTP client of `cimhil serve` (docs/api.md): the chip, workflows with live progress, runs as DataFrames."""

import json
import sys
import time

import pandas as pd
import requests

_ENDED = ("stopped", "finished", "failed")


class ApiError(Exception):
    """An error answer of the server: the HTTP status and its message (which names the field, value and limit)."""

    def __init__(self, status, message, body=None):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.body = body or {}


class SafetyRefused(ApiError):
    """A request refused by a safety limit (HTTP 422); nothing was applied. `limit` and `value` name the limit broken."""

    @property
    def limit(self):
        return self.body.get("limit")

    @property
    def value(self):
        return self.body.get("value")


class Client:
    """A connection to one bench server.

    url: the address `cimhil serve` printed (default http://127.0.0.1:8750/); token: the token it printed when bound
    off loopback (also read from the URL's ?token=). timeout: seconds for each request (the event stream waits longer).
    """

    def __init__(self, url="http://127.0.0.1:8750/", token=None, timeout=30.0):
        base, _, query = url.partition("?")
        if token is None and query.startswith("token="):
            token = query[len("token="):]
        self.url = base if base.endswith("/") else base + "/"
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- plumbing -------------------------------------------------------------------------------------------------
    def _call(self, method, path, payload=None, params=None, raw=False):
        response = self.session.request(method, self.url + path, json=payload, params=params, timeout=self.timeout)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": response.text}
            error = SafetyRefused if response.status_code == 422 else ApiError
            raise error(response.status_code, body.get("error", response.reason), body)
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # -- the chip -------------------------------------------------------------------------------------------------
    def chip(self):
        """Identity, geometry, capabilities and the configured safety limits."""
        return self._call("GET", "api/chip")

    def read_cell(self, row, column, read_voltage_v=None):
        params = {} if read_voltage_v is None else {"readVoltageV": read_voltage_v}
        return self._call("GET", f"api/chip/cells/{row}/{column}", params=params)

    def read_block(self, row=0, column=0, rows=None, columns=None, read_voltage_v=None):
        """A block read as a DataFrame of conductances in siemens, indexed by row and column address."""
        params = {"row": row, "column": column}
        if rows is not None:
            params["rows"] = rows
        if columns is not None:
            params["columns"] = columns
        if read_voltage_v is not None:
            params["readVoltageV"] = read_voltage_v
        block = self._call("GET", "api/chip/block", params=params)
        n, m = block["rows"], block["columns"]
        values = [block["conductancesS"][i * m:(i + 1) * m] for i in range(n)]
        return pd.DataFrame(values, index=range(block["row"], block["row"] + n), columns=range(block["column"], block["column"] + m))

    def program(self, row, column, polarity, amplitude_v, width_seconds=None, gate_voltage_v=None, compliance_a=None, read_voltage_v=None):
        """One SET or RESET pulse, through the server's safety checks (SafetyRefused names the limit)."""
        payload = {"row": row, "column": column, "polarity": polarity, "amplitudeV": amplitude_v}
        for key, value in (("widthSeconds", width_seconds), ("gateVoltageV", gate_voltage_v), ("complianceA", compliance_a), ("readVoltageV", read_voltage_v)):
            if value is not None:
                payload[key] = value
        return self._call("POST", "api/chip/program", payload)

    # -- workflows ------------------------------------------------------------------------------------------------
    def start(self, kind, **body):
        """Starts a workflow (characterize, run, calibrate, evaluate, worst-case, import; body as in docs/api.md) and returns
        the operation. The chip is exclusive (ApiError 409 if busy); calibrate, evaluate, worst-case and import need no
        chip and run beside a characterisation, one at a time among themselves."""
        return self._call("POST", f"api/workflows/{kind}", body)

    def stop(self, operation_id=None):
        """Stops the running workflow (the one with id `operation_id`, else the chip's): the chip goes to its safe state
        and the run stays resumable."""
        path = "api/operation/stop" if operation_id is None else f"api/operation/stop?id={operation_id}"
        return self._call("POST", path)

    def operation(self):
        """The last workflow started (running or ended), or None."""
        return self._call("GET", "api/operation")

    def characterize(self, plan=None, plan_json=None, resume=None, follow=True, progress=True, file=None):
        """Starts a characterisation (a plan file on the server, or the plan itself; or resume=<run id>) and, unless
        follow=False, follows it to its end with a progress bar on `file` (stderr); returns the operation."""
        body = {}
        if plan is not None:
            body["plan"] = plan
        if plan_json is not None:
            body["planJson"] = json.loads(plan_json) if isinstance(plan_json, str) else plan_json
        if resume is not None:
            body["resume"] = resume
        op = self.start("characterize", **body)
        return self.follow(op, progress=progress, file=file) if follow else op

    def run(self, resume=None, follow=True, progress=True, file=None):
        """Starts the whole `cimhil run` pipeline (or resumes one) and follows it as characterize does."""
        op = self.start("run", **({} if resume is None else {"resume": resume}))
        return self.follow(op, progress=progress, file=file) if follow else op

    def events(self, last_event_id=None):
        """The live event stream (server-sent events): yields each event as a dict {id, type, timeUtc, operation, data}."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        with self.session.get(self.url + "api/events", headers=headers, stream=True, timeout=(self.timeout, None)) as response:
            if response.status_code >= 400:
                raise ApiError(response.status_code, response.text)
            for line in response.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    yield json.loads(line[len("data: "):])

    def follow(self, op, progress=True, file=None):
        """Follows operation `op` to its end with a text progress bar; returns its final state (status, result, error)."""
        out = file or sys.stderr
        bar = _ProgressBar(out) if progress else None
        for event in self.events():
            if event.get("operation") != op["id"]:
                continue
            data = event["data"]
            if bar is not None and event["type"] in ("progress", "stage"):
                bar.show(data)
            if event["type"] == "operation" and data["status"] in _ENDED:
                if bar is not None:
                    bar.close(data["status"])
                return data
        raise ApiError(0, f"the event stream ended before operation {op['id']} did")

    def wait(self, poll_seconds=0.2):
        """Polls until the current operation has ended (for callers that do not follow the stream)."""
        while True:
            op = self.operation()
            if op is None or op["status"] in _ENDED:
                return op
            time.sleep(poll_seconds)

    # -- runs -----------------------------------------------------------------------------------------------------
    def runs(self):
        """The run folders under the server's runs/, newest first."""
        return pd.DataFrame(self._call("GET", "api/runs"), columns=["id", "hasDatabase", "hasResults", "hasReport", "hasCalibration", "modifiedUtc"])

    def measurements(self, run, page_size=10000):
        """Every record of a run's store, fetched page by page, as one DataFrame (one row per stored record)."""
        frames, offset, total = [], 0, None
        while total is None or offset < total:
            page = self._call("GET", f"api/runs/{run}/measurements", params={"offset": offset, "limit": page_size})
            total = page["total"]
            if not page["items"]:
                break
            frames.append(pd.DataFrame(page["items"]))
            offset += len(page["items"])
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if "timestamp" in frame:
            frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return frame

    def units(self, run):
        """A run's unit results (cell, step, outcome, target and resulting conductance, pulses) as a DataFrame."""
        return pd.DataFrame(self._call("GET", f"api/runs/{run}/units"))

    def results(self, run):
        """A finished run's results.json as a dict."""
        return self._call("GET", f"api/runs/{run}/results")

    def monte_carlo(self, run):
        """A finished run's Monte-Carlo accuracies (results.json monteCarlo.chipAccuracies) as a DataFrame: one row per
        sampled chip, columns chip (its index) and accuracy."""
        accuracies = (self.results(run).get("monteCarlo") or {}).get("chipAccuracies", [])
        return pd.DataFrame({"chip": range(len(accuracies)), "accuracy": accuracies})

    def worst_case(self, run):
        """A finished run's worst-case curve (results.json worstCase.points) as a DataFrame: one row per bound, columns
        k, accuracy and perturbation."""
        points = (self.results(run).get("worstCase") or {}).get("points", [])
        return pd.DataFrame(points, columns=["k", "accuracy", "perturbation"])

    def report(self, run):
        """A run's report.html, as text."""
        return self._call("GET", f"api/runs/{run}/report", raw=True).text


class _ProgressBar:
    """One line redrawn in place: what is running, a bar, units done, and the server's ETA."""

    def __init__(self, out, width=30):
        self.out, self.width, self.last = out, width, ""

    def show(self, data):
        p = data.get("progress", {})
        if "unitsDone" in p:
            name, done, total = p["procedure"], p["unitsDone"], max(1, p["unitsTotal"])
        elif "stage" in p:
            name, done, total = p["stage"], p["done"], max(1e-9, p["total"])
        else:
            return
        filled = int(self.width * min(1.0, done / total))
        eta = data.get("etaSeconds")
        line = f"\r{name:<14} [{'#' * filled}{'.' * (self.width - filled)}] {done:g}/{total:g}" + (f"  ~{eta:.0f} s left" if eta is not None else "")
        if line != self.last:
            self.out.write(line)
            self.out.flush()
            self.last = line

    def close(self, status):
        self.out.write(f"\n{status}\n")
        self.out.flush()
