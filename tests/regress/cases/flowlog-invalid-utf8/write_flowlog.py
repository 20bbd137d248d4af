#!/usr/bin/python3
"""Writes the flow log of flowlog-invalid-utf8: the vtap corpus's HTTP flow
(10.0.0.4:50000 -> 10.0.1.5:80) logged with strings that are not UTF-8 —
a stray 0xff in the rule name, a sequence cut short in the ACL, an overlong
form in the resource id — in a blob whose folder name is Latin-1, as a
file system or an azcopy of another tool may leave it.  The decoder takes
raw bytes as they come; JSON output must still be UTF-8.

    write_flowlog.py OUTDIR
"""
import os
import sys

RECORD = (b'{"records":[{"time":"2026-11-28T04:01:00.0000000Z","flowLogVersion":4,'
          b'"macAddress":"000D3AF87856","category":"FlowLogFlowEvent",'
          b'"flowLogResourceID":"/SUBSCRIPTIONS/X/FLOWLOGS/F\xc0\xaf1",'
          b'"flowRecords":{"flows":[{"aclID":"acl caf\xc3","flowGroups":[{"rule":"Rule \xff caf\xc3\xa9",'
          b'"flowTuples":["1795838410000,10.0.0.4,10.0.1.5,50000,80,6,O,B,NX,0,0,0,0",'
          b'"1795838410009,10.0.0.4,10.0.1.5,50000,80,6,O,E,NX,6,315,4,237"]}]}]}}]}\n')


def main():
    folder = os.path.join(os.fsencode(sys.argv[1]), b"flowlogs", b"caf\xe9")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, b"PT1H.json"), "wb") as f:
        f.write(RECORD)


if __name__ == "__main__":
    main()
