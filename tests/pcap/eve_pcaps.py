#!/usr/bin/env python3
"""eve_pcaps.py EVE SID - the packet numbers (pcap_cnt, 0 when absent) of
signature SID's alerts in eve.json EVE, sorted, comma-separated ("" when
none).  Shared by the alert test scripts (alerts_stream.sh,
alerts_encrypted.sh) to compare alerts packet by packet."""
import json
import sys

n = []
with open(sys.argv[1]) as f:
    for line in f:
        e = json.loads(line)
        if e.get("event_type") == "alert" and e["alert"]["signature_id"] == int(sys.argv[2]):
            n.append(e.get("pcap_cnt", 0))
print(",".join(str(x) for x in sorted(n)))
