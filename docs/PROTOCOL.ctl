mip6sec control protocol, version 1
===================================

The daemon listens on a UNIX stream socket (global.control-socket in
mip6sec.conf, default /run/mip6sec/control.sock), mode 0600 in a directory of
mode 0700. Only uid 0 or the daemon's own uid may connect (checked with
SO_PEERCRED). The client sends a request frame; the daemon answers with one
response frame. A connection may carry several requests one after the other.

Code: src/ctl/ctlproto.c (codec), src/ctl/ctl.c (commands),
src/io/ctl_sock.c (server), src/io/ctl_client.c (client).
Tests: tests/unit/test_ctl.c; fuzz target tests/fuzz/fuzz_ctl.c.

All integers are big-endian (network order).


1. Frame
--------

Every message, in both directions, is a 12-octet header and a body:

    0       1       2       3       4       5       6       7
  +-------+-------+-------+-------+-------+-------+-------+-------+
  |  'M'  |  '6'  |version| type  |command| flags | status| rsvd  |
  +-------+-------+-------+-------+-------+-------+-------+-------+
  |                  body length (u32)                            |
  +-------+-------+-------+-------+
  |  body (body length octets) ...
  +-------+-------+-------- - -

  magic        0x4d 0x36 ("M6")
  version      1
  type         1 = request, 2 = response
  command      see section 3 (a response repeats the request's command)
  flags        bit 0 (0x01) JSON: answer in JSON instead of a table.
               Other bits are reserved and must be zero.
  status       0 in a request; the result in a response (section 4)
  rsvd         zero
  body length  octets following the header: at most 65536 (64 KiB) in a
               request, 1048576 (1 MiB) in a response

The frame ends exactly where body length says; a receiver reads the header,
checks it, then waits for the body.


2. Request arguments (TLV)
--------------------------

A request body is a sequence of arguments, each:

    0               1               2               3
  +-------+-------+-------+-------+-------+-------+-------+-------+
  | C |   type (15 bits)          |     value length (u16)        |
  +-------+-------+-------+-------+-------+-------+-------+-------+
  |  value (value length octets) ...
  +-------+-------- - -

  C (0x8000)   critical: a receiver that does not know the type must refuse
               the request. Unknown types without C are skipped.

  type 1  FILTER  a string, 1..255 octets, no NUL octet: restricts a listing
                  (e.g. to one home address or SPI). At most once.

There is no padding or alignment between arguments.


3. Commands
-----------

  id  name      body of an OK answer (table / with the JSON flag)
  --  --------  ------------------------------------------------------------
  1   status    table of role(s), pid, uptime, config file, generation and
                load time, log level, reloads, counters /
                one JSON object, see section 5
  2   version   "mip6sec X.Y.Z (control protocol 1)" /
                {"version":"X.Y.Z","protocol":1}
  3   bindings  one line per binding cache / binding update list entry, or
                "none" / a JSON array of objects ([] when empty)
  4   sas       the same for IPsec and IKE security associations
  5   policies  the same for security policies
  6   reload    "reload: ok" / the same text; on failure status 3 and the
                body is the configuration error "file:line: key: message"
  7   ike       one line per IKE SA (peer, identity, state, role, SPIs,
                suite, NAT flags, age, its CHILD_SAs), or "none" / a JSON
                array of objects; an optional FILTER matches a peer name,
                an identity or an IKE SPI in hex

Every text body ends with a newline; a JSON body is one JSON document
followed by a newline. Strings in JSON are valid UTF-8 (bytes that are not
valid UTF-8 are replaced by U+FFFD).


4. Status codes (response header)
---------------------------------

  0  ok
  1  bad request          the frame was malformed; the body says why, e.g.
                          "bad request: bad magic". The server closes the
                          connection after this answer.
  2  unknown command      body "unknown command N"; the connection stays open
  3  failed               the command ran and failed; the body is the error
  4  answer too large     the answer did not fit in 1 MiB
  5  busy                 too many clients (16); sent, then the connection
                          is closed
  6  unsupported version  the request's version is not 1 (closed after)

Error bodies are always one line of text, whatever the JSON flag.

Refusal reasons (counted in `status` as ctl.drop_*): short header, bad magic,
bad version, bad message type, unknown flags, status set in request,
reserved octet set, body too large, body length mismatch (the body length
promises more octets than arrive, or fewer than the frame holds), truncated
argument, unknown critical argument, duplicate argument, bad argument value.

Limits enforced by the server: 16 concurrent clients, 10 s idle timeout per
connection (no complete request within it closes the connection), input
buffered per connection at most one maximal request plus a header.


5. status in JSON
-----------------

  {"version":"0.1.0","pid":1234,"roles":["ha"],"uptime_s":42,
   "started":"2026-01-01T10:00:00Z",
   "control_socket":"/run/mip6sec/control.sock",
   "config":{"file":"/etc/mip6sec.conf","loaded":"2026-01-01T10:00:00Z",
             "generation":1,"log_level":"notice","log_target":"stderr"},
   "reload":{"count":0,"failures":0,"last_result":"none","last_error":""},
   "counters":{"pkt.in":0,"pkt.out":0,"pkt.dropped":0,"ctl.requests":1,...}}

roles      subset of "ha", "mn", "cn"
generation 1 at start, incremented by every successful reload
last_result "none" (no reload yet), "ok" or "failed"; last_error is the
           configuration error of the last failed reload ("" after a good one)
counters   every registered counter, "group.name": value, zero included
sections   engines add their own objects: "home-agent" / "mobile-node"
           (issue 4) and "ike" (established, half_open, total, the adapter's
           counters and drops per reason, the cookie gate's counters, and
           whether the sensitive key dump is on)


6. Examples
-----------

Example 1: `mip6sec status --json` sends

  4d 36 01 01 01 01 00 00  00 00 00 00

(magic, version 1, request, command 1 status, flags JSON, status 0,
reserved 0, empty body).

Example 2: `mip6sec bindings 2001:db8::1` sends

  4d 36 01 01 03 00 00 00  00 00 00 0f
  00 01 00 0b 32 30 30 31  3a 64 62 38 3a 3a 31

(command 3 bindings, a 15-octet body holding one FILTER argument of
11 octets, "2001:db8::1").

Example 3: the answer to example 2 while no engine has bindings:

  4d 36 01 02 03 00 00 00  00 00 00 05  6e 6f 6e 65 0a

(response, command 3, status 0 ok, body "none\n").

Example 4: a request with a wrong magic ("M7") is answered

  4d 36 01 02 00 00 01 00  00 00 00 17  "bad request: bad magic\n"

and the connection is closed.
