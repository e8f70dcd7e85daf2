"""FireWorks side of bench/peers.ts, on mongomock with its persistence file
(MONGOMOCK_SERVERSTORE_FILE must name the file; FireWorks reads it at start, writes it at exit).

    python fireworks_flow.py write FILE independent|chain|dag N   a workflow file for `lpad add`
    python fireworks_flow.py set gather-ready|all-completed        states before a timed step
    python fireworks_flow.py count STATE                           FWs in a state
    python fireworks_flow.py id NAME                               the fw_id of a named FW

`set` writes states straight into the documents, as bench/peers.ts does on ferry's side with
SQL: the setup of a timed step, never the step itself.
"""

import json
import sys
import warnings

warnings.simplefilter("ignore")


def task():
    return {"_tasks": [{"_fw_name": "ScriptTask", "script": "true"}]}


def write(path, kind, n):
    names = []
    links = {}
    if kind == "dag":
        # root → 500 → gather → 10 chains (issue #13's shape)
        names = ["root"] + [f"w{i}" for i in range(500)] + ["gather"]
        for i in range(1, 501):
            links.setdefault(1, []).append(i + 1)
            links.setdefault(i + 1, []).append(502)
        per = (n - 502) // 10
        for c in range(10):
            for i in range(per):
                names.append(f"c{c}_{i}")
                me = len(names)
                links.setdefault(502 if i == 0 else me - 1, []).append(me)
    else:
        names = [f"j{i}" for i in range(n)]
        if kind == "chain":
            links = {i: [i + 1] for i in range(1, n)}
    fws = [{"fw_id": i + 1, "name": name, "spec": task()} for i, name in enumerate(names)]
    with open(path, "w") as f:
        json.dump({"fws": fws, "links": {str(k): v for k, v in links.items()}, "metadata": {}, "name": kind}, f)


def launchpad():
    from fireworks import LaunchPad

    return LaunchPad()


def set_states(mode):
    lp = launchpad()
    wf = lp.workflows.find_one({})
    done = {}
    for fw in lp.fireworks.find({}, {"fw_id": 1, "name": 1}):
        name = fw["name"]
        if mode == "all-completed" or name == "root" or (name.startswith("w") and name[1:].isdigit()):
            done[fw["fw_id"]] = "COMPLETED"
        elif name == "gather":
            done[fw["fw_id"]] = "READY"
    for state in ("COMPLETED", "READY"):
        ids = [i for i, s in done.items() if s == state]
        lp.fireworks.update_many({"fw_id": {"$in": ids}}, {"$set": {"state": state}})
    states = dict(wf["fw_states"])
    states.update({str(i): s for i, s in done.items()})
    lp.workflows.update_one({"_id": wf["_id"]}, {"$set": {"fw_states": states}})


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "set":
        set_states(sys.argv[2])
    elif cmd == "count":
        print(launchpad().fireworks.count_documents({"state": sys.argv[2]}))
    elif cmd == "id":
        print(launchpad().fireworks.find_one({"name": sys.argv[2]})["fw_id"])
