"""seepp_parser.py - See++'s backend parser of raw SPP-Valgrind text, in Python.

Written from reading See++'s backend/src/parse_vg_trace.ts (functions
parseValgrindTrace, processRecord, finalizeTrace, processJsonObject,
encodeValue) so the tests can check, without Node, what See++'s unchanged
backend makes of our `traceContent`. It follows that code step for step,
including what it does not do (it reads no events: it infers them from the
stack), so its quirks are reproduced on purpose:

- a record whose JSON does not parse, or that has an ERROR: line, ends
  parsing and the whole trace comes out empty;
- struct members are re-ordered by address string;
- pointer tuples have four elements (no declared type);
- the heap holds only blocks reached through a pointer's deref_val.

Nothing here is shared with the tracer: it is the independent reading the
encoder is tested against.
"""
import json
import re

RECORD_SEPARATOR = "=== pg_trace_inst ==="
MAX_STEPS = 1000
ONLY_ONE_REC_PER_LINE = True


def parse_valgrind_trace(raw, user_code, end_of_trace_error=None, shift_stdout=None):
    """parseValgrindTrace: the ProgramTrace See++'s backend returns."""
    points = []
    lines = raw.split("\n")
    current = []
    parse_ok = True
    start = 0
    while start < len(lines):  # skip the program's output before the first record
        if lines[start].strip() == RECORD_SEPARATOR:
            break
        start += 1
    for line in lines[start + 1:]:
        if line.strip() == RECORD_SEPARATOR:
            if not process_record(points, current):
                parse_ok = False
                break
            current = []
        else:
            current.append(line)
    if parse_ok and current:
        parse_ok = process_record(points, current)
    final = finalize_trace(points, end_of_trace_error, shift_stdout) if parse_ok else []
    return {"code": user_code, "trace": final}


def process_record(points, lines):
    """processRecord: one record's lines into one execution point; False
    stops the whole parse (unparsable JSON, or an exception record)."""
    if not lines:
        return True
    err_lines, stdout_lines, regular = [], [], []
    for line in lines:
        if line.startswith("ERROR:"):
            err_lines.append(line)
        elif line.startswith("STDOUT:"):
            stdout_lines.append(line)
        elif line.startswith("MAX_STEPS_EXCEEDED"):
            pass
        else:
            regular.append(line)
    stdout_line = stdout_lines[0] if stdout_lines else 'STDOUT: ""'
    try:
        stdout = json.loads(stdout_line[len("STDOUT: "):])
    except ValueError:
        stdout = ""
    record = re.sub(r'"val":\*{6,}', '"val":null', "\n".join(regular))
    try:
        obj = json.loads(record)
    except ValueError:
        return False
    err = err_lines[0] if err_lines else None
    point = process_json_object(obj, err, stdout)
    points.append(point)
    return point["event"] != "exception"


def _ids(point):
    return [f["frameId"] for f in point["stackToRender"]]


def finalize_trace(points, end_of_trace_error=None, shift_stdout=None):
    """finalizeTrace: the numbered rules are the TypeScript's own."""
    # 1. drop records with a 0x0 frame pointer or a ??? function
    filtered = [p for p in points
                if "0x0" not in _ids(p) and "???" not in [f["funcName"] for f in p["stackToRender"]]]
    if not filtered:
        return []
    # 2. call / return from the stack growing or shrinking by one frame;
    #    after a call, following records in the same frames on the call's
    #    line are deleted (lookahead)
    final = [filtered[0]]
    for i in range(len(filtered) - 1):
        prev, cur = filtered[i], filtered[i + 1]
        prev_ids, cur_ids = _ids(prev), _ids(cur)
        if prev_ids == cur_ids:
            final.append(cur)
        elif len(cur_ids) == len(prev_ids) + 1:
            if cur_ids[:-1] == prev_ids:
                cur["event"] = "call"
                final.append(cur)
                for j in range(i + 2, len(filtered)):
                    future = filtered[j]
                    if _ids(future) == cur_ids and future["line"] == cur["line"]:
                        future["toDelete"] = True
                    else:
                        break
            else:
                final.append(cur)
        elif len(cur_ids) == len(prev_ids) - 1:
            if prev_ids[:-1] == cur_ids:
                prev["event"] = "return"
            final.append(cur)
        else:
            final.append(cur)
    # 3. the last step is main's return, or the exception given
    if final:
        if end_of_trace_error:
            final[-1]["event"] = "exception"
            final[-1]["exceptionMsg"] = end_of_trace_error
        else:
            final[-1]["event"] = "return"
    # 4. one record per line: a stepLine repeating the last kept stepLine's
    #    line and frames goes
    if ONLY_ONE_REC_PER_LINE:
        reduced = []
        prev_event, prev_line, prev_frames = "", 0, None
        for p in final:
            skip = (prev_event == p["event"] and p["event"] == "stepLine"
                    and p["line"] == prev_line and _ids(p) == prev_frames)
            if not skip:
                reduced.append(p)
                prev_event, prev_line, prev_frames = p["event"], p["line"], _ids(p)
        final = reduced
    # 5. the caller's step right after a return to the call's line, when
    #    the next step is in the same function
    for i in range(len(final) - 2):
        prev, cur, nxt = final[i], final[i + 1], final[i + 2]
        if prev["event"] == "return" and len(prev["stackToRender"]) > 1:
            prev_caller = prev["stackToRender"][-2]
            cur_top = cur["stackToRender"][-1] if cur["stackToRender"] else None
            if (cur_top and prev_caller and cur_top["frameId"] == prev_caller["frameId"]
                    and cur_top.get("line") == prev_caller.get("line")
                    and cur["funcName"] == nxt["funcName"]):
                cur["toDelete"] = True
    # 6. nothing before main
    for p in final:
        if p["funcName"] == "main":
            break
        p["toDelete"] = True
    out = [p for p in final if not p.get("toDelete")]
    # 7. stdout shifted one step earlier (Lambda mode); the last ones empty
    if shift_stdout and shift_stdout > 0:
        for i in range(len(out) - shift_stdout):
            out[i]["stdout"] = out[i + shift_stdout]["stdout"]
        for i in range(max(0, len(out) - shift_stdout), len(out)):
            out[i]["stdout"] = ""
    # 8. at most MAX_STEPS steps
    if len(out) > MAX_STEPS:
        out = out[:MAX_STEPS]
        out[-1]["event"] = "instruction_limit_reached"
        out[-1]["exceptionMsg"] = "Stopped after %d steps. Please shorten your code." % MAX_STEPS
    for p in out:
        p.pop("toDelete", None)
    return out


def process_json_object(obj, err, stdout):
    """processJsonObject: one record's JSON into an ExecutionPoint."""
    if not isinstance(obj.get("stack"), list) or len(obj["stack"]) < 1:
        # See++'s synthesized main frame for records with an empty stack
        obj["stack"] = [{"func_name": obj.get("func_name") or "main", "ordered_varnames": [],
                         "FP": "0xsynthetic-main", "line": obj.get("line"), "locals": {}}]
    obj["stack"].reverse()
    top = obj["stack"][-1] if obj["stack"] else None
    point = {"event": "stepLine", "line": obj.get("line"),
             "funcName": (top or {}).get("func_name") or "???", "stackToRender": [],
             "globals": {}, "heap": {}, "orderedGlobals": obj.get("ordered_globals") or [],
             "stdout": stdout}
    if err:
        point["event"] = "exception"
        point["exceptionMsg"] = "%s\n(Stopped after the first error.)" % err
    for name, raw in (obj.get("globals") or {}).items():
        point["globals"][name] = encode_value(raw, point["heap"])
    for frame in obj["stack"]:
        entry = {"funcName": frame.get("func_name"),
                 "orderedVarNames": frame.get("ordered_varnames") or [],
                 "isHighlighted": frame is top, "frameId": frame.get("FP"),
                 "uniqueHash": "%s_%s" % (frame.get("func_name"), frame.get("FP")),
                 "isParent": False, "isZombie": False, "parentFrameIdList": [],
                 "encodedLocals": {}}
        if frame.get("line"):
            entry["line"] = frame["line"]
        for name, raw in (frame.get("locals") or {}).items():
            entry["encodedLocals"][name] = encode_value(raw, point["heap"])
        point["stackToRender"].append(entry)
    return point


def encode_value(obj, heap):
    """encodeValue: RAW value into the C_DATA/C_STRUCT/C_ARRAY tuples; heap
    blocks met through deref_val are added to `heap`."""
    if not obj or not obj.get("kind"):
        return None
    kind = obj["kind"]
    if kind == "base":
        return ["C_DATA", obj.get("addr"), obj.get("type"), obj.get("val")]
    if kind in ("pointer", "ref"):
        if obj.get("deref_val"):
            encode_value(obj["deref_val"], heap)
        return ["C_DATA", obj.get("addr"), kind, obj.get("val")]
    if kind == "struct":
        out = ["C_STRUCT", obj.get("addr"), obj.get("type")]
        members = list((obj.get("val") or {}).items())
        members.sort(key=lambda kv: kv[1].get("addr") or "")  # stable, like Array.sort
        for k, v in members:
            out.append([k, encode_value(v, heap)])
        return out
    if kind == "array":
        dims = obj.get("dimensions")
        if not dims or len(dims) < 2:
            out = ["C_ARRAY", obj.get("addr")]
        else:
            out = ["C_MULTIDIMENSIONAL_ARRAY", obj.get("addr"), dims]
        for e in obj.get("val") or []:
            out.append(encode_value(e, heap))
        return out
    if kind == "typedef":
        if obj.get("val"):
            obj["val"]["type"] = obj.get("type")
            return encode_value(obj["val"], heap)
        return None
    if kind == "heap_block":
        addr = obj.get("addr")
        if not heap.get(addr):
            elt = ["C_ARRAY", addr]
            for e in obj.get("val") or []:
                elt.append(encode_value(e, heap))
            heap[addr] = elt
        return heap[addr]
    return None
