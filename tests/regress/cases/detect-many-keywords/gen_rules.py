#!/usr/bin/python3
"""gen_rules.py OUT: one rule group whose engine rules hold more than 65,535
keywords in all.  Each rule (to port 80) has 50 (`flow:established`, 48 times
`azure.mirrored:true`, one decision): 1,311 rules that ask for a deny
(never true of the vTAP HTTP flow) come first, 65,550 keywords, then 10 that
ask for an allow (true), whose keywords all lie past index 65,535; once a
flow each."""
import sys

DECOYS, TAIL = 1311, 10
MIRRORED = "azure.mirrored:true; " * 48


def rule(sid, decision):
    return ('alert tcp any any -> any 80 (msg:"many keywords %d"; flow:established,to_server; %s'
            'azure.decision:%s; threshold:type limit, track by_flow, count 1, seconds 3600; sid:%d; rev:1;)\n' % (sid, MIRRORED, decision, sid))


with open(sys.argv[1], "w") as f:
    for i in range(DECOYS):
        f.write(rule(9875000 + i, "deny"))
    for i in range(TAIL):
        f.write(rule(9877000 + i, "allow"))
