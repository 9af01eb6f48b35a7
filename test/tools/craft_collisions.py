#!/usr/bin/env python3
"""
craft_collisions.py — makes the colliding model texts of sql/train_state_security.sql.

A model's checksum (bytes 8..15 of bpnn_model_send: PostgreSQL's hash_bytes_extended,
Jenkins lookup3, seed 0, over the body after the 16-byte header) is no proof of identity:
one free 12-byte block at a 12-aligned offset sets lookup3's whole internal state, so two
models of different shapes can be given one checksum.  The suite uses two such pairs:

  ids 1/2  layers [1, 2, 2] and [64, 2, 2]: the block is the second model's last three
           float4 weights (the bytes after them, the training record, are the same in both);
  ids 3/4  layers [1, 3, 2] and [1, 1, 6], classes {a,b} and {a..f}, one length, weight
           count and feature count: the block is in the epoch losses (float8), since the
           class weights (one per class) come before them.

Nothing here knows the byte layout of the stored format: the script asks the server for
each candidate's encoding (bpnn_model_send) and finds the free block by encoding marker
values and searching for their bytes, so it keeps working when the format changes as long
as the free block stays where it is described above (after the weights only the training
record and later sections; the epoch losses after the class weights).  It verifies every
collision with the server's own checksum and prints the server's text of each model.

Regenerate the suite's models after a change of the model format (any database where the
current bpnn is installed; nothing is written to it):

    python3 test/tools/craft_collisions.py "host=/tmp/x port=5432 dbname=postgres" \
        --update sql/train_state_security.sql
    make installcheck ... REGRESS="data train_state_security"   # then copy results/ to
                                                                 # expected/ and READ it

Without --update it prints the two INSERT statements.  python3 and psql only.
"""
import argparse
import json
import struct
import subprocess
import sys

# A format-2 text, the oldest one the pairs were first made for; the server reads it and
# writes it back in the current format, which is what the models below start from.
TEMPLATE = {
    "format_version": 2, "layers": [1, 2, 2], "activation": "bipolar_sigmoid",
    "output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["x"],
    "classes": ["0", "1"], "columns": [{"name": "x", "kind": "number", "width": 1}],
    "missing": "skip", "impute": [0.0],
    "normalization": {"method": "zscore", "shift": [0.0], "scale": [1.0]},
    "training": {"source": "public.t1", "label_column": "y", "epochs": 4,
                 "learning_rate": 0.2, "momentum": 0.7, "batch_size": 32, "init_range": 0.1,
                 "seed": 1, "optimizer": "momentum", "weight_decay": 0,
                 "validation_fraction": 0, "patience": 10, "class_weights": [1, 1],
                 "rows_used": 40, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 4,
                 "best_epoch": 0, "validation_loss": 0, "final_loss": 0.5,
                 "train_accuracy": 0.5, "seconds": 0.001, "workers": 0,
                 "loss_per_epoch": [0.5, 0.25, 0.125, 0.0625]},
    "weights": [[0.01, 0.02, 0.03, 0.04], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]]}
HEADER = 16          # magic, version, reserved, checksum: the checksum covers what follows
WIDE = 64            # features of model 2
M = 0xffffffff


# ---------- lookup3 (src/common/hashfn.c, hash_bytes_extended, seed 0, little-endian) ----------

def rot(x, k):
    return ((x << k) | (x >> (32 - k))) & M


def mix(a, b, c):
    a = (a - c) & M; a ^= rot(c, 4);  c = (c + b) & M
    b = (b - a) & M; b ^= rot(a, 6);  a = (a + c) & M
    c = (c - b) & M; c ^= rot(b, 8);  b = (b + a) & M
    a = (a - c) & M; a ^= rot(c, 16); c = (c + b) & M
    b = (b - a) & M; b ^= rot(a, 19); a = (a + c) & M
    c = (c - b) & M; c ^= rot(b, 4);  b = (b + a) & M
    return a, b, c


def word(k, i):
    return int.from_bytes(k[i:i + 4], 'little')


def state_before(k, upto):
    """lookup3's state (a, b, c) before the 12-byte block at offset upto of k"""
    assert upto % 12 == 0
    a = b = c = (0x9e3779b9 + len(k) + 3923095) & M
    for i in range(0, upto, 12):
        a = (a + word(k, i)) & M; b = (b + word(k, i + 4)) & M; c = (c + word(k, i + 8)) & M
        a, b, c = mix(a, b, c)
    return a, b, c


def block_for(target, y_target, other, y_other):
    """the 12 bytes at y_other of other that give it target's state after y_target's block
    (the block is added to the state before the mix); equal bytes after both blocks then
    give one hash"""
    st, so = state_before(target, y_target), state_before(other, y_other)
    return b''.join(((st[k] + word(target, y_target + 4 * k) - so[k]) & M).to_bytes(4, 'little')
                    for k in range(3))


# ---------- the server ----------

class Server:
    def __init__(self, conninfo):
        self.cmd = ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', conninfo]

    def column(self, expr, texts):
        """expr (with %s for a model literal) for each text, in one psql run"""
        sql = ''.join('SELECT %s;\n' % (expr % ("'" + t.replace("'", "''") + "'::bpnn_model"))
                      for t in texts)
        out = subprocess.run(self.cmd, input=sql, capture_output=True, text=True)
        if out.returncode:
            sys.exit('psql failed: ' + out.stderr.strip())
        rows = out.stdout.split('\n')[:len(texts)]
        assert len(rows) == len(texts), out.stdout
        return rows

    def encode(self, models):
        """bpnn_model_send of each model (dicts), whole, header included"""
        return [bytes.fromhex(h) for h in
                self.column("encode(bpnn_model_send(%s), 'hex')", [json.dumps(m) for m in models])]

    def text(self, models):
        return [json.loads(t) for t in self.column('%s::text', [json.dumps(m) for m in models])]


def find_once(haystack, needle, what):
    at = haystack.find(needle)
    if at < 0 or haystack.find(needle, at + 1) >= 0:
        sys.exit('the %s are not found exactly once in the encoding' % what)
    return at


def f4_ok(b):
    """a float4 (network order) the text format carries exactly: finite, normal or zero"""
    e = (int.from_bytes(b, 'big') >> 23) & 0xff
    return 0 < e < 0xff


def f8_ok(b):
    e = (int.from_bytes(b, 'big') >> 52) & 0x7ff
    return 0 < e < 0x7ff


def copy(m):
    return json.loads(json.dumps(m))


# ---------- pair 1/2: 1 and WIDE features, the free block in the last weights ----------

def shaped(base, names, weights, pad):
    """base with these features (numbers), weights, and classes '0' and '1' plus pad bytes"""
    m = copy(base)
    n = len(names)
    m['layers'] = [n, 2, 2]
    m['features'] = names
    m['columns'] = [dict(base['columns'][0], name=x) for x in names]
    m['impute'] = [0.0] * n
    m['normalization']['shift'] = [0.0] * n
    m['normalization']['scale'] = [1.0] * n
    m['classes'] = ['0', '1' + '_' * pad]
    m['weights'] = weights
    return m


def pair_features(srv, base):
    marks = [0.125, 0.375, 0.625]
    mark_bytes = struct.pack('>3f', *marks)
    wide_names = ['f%d' % i for i in range(WIDE)]
    narrow = [[0.01, 0.02, 0.03, 0.04], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]]

    def wide_weights(first, last3):
        return [[first] + [0.001] * ((WIDE + 1) * 2 - 1), [0.01, 0.02, 0.03] + list(last3)]

    # the wide model with its block 12-aligned: its position found by its marker bytes
    cands = [shaped(base, wide_names, wide_weights(0.001, marks), pad) for pad in range(12)]
    for m, enc in zip(cands, srv.encode(cands)):
        body = enc[HEADER:]
        yb = find_once(body, mark_bytes, 'marker weights')
        if yb % 12 == 0:
            wide, bw = m, body
            break
    else:
        sys.exit('no class-name padding puts the last weights of model 2 at a 12-aligned offset')
    suffix = bw[yb + 12:]
    # the narrow model with the bytes at the same distance from its end 12-aligned
    cands = [shaped(base, ['x'], narrow, pad) for pad in range(12)]
    for m, enc in zip(cands, srv.encode(cands)):
        body = enc[HEADER:]
        ya = len(body) - len(suffix) - 12
        if ya >= 0 and ya % 12 == 0:
            one, ba = m, body
            break
    else:
        sys.exit('no class-name padding aligns model 1')
    if ba[ya + 12:] != suffix:
        sys.exit('models 1 and 2 differ after the free block: the format has moved it')
    # a block whose three float4 are finite and normal (else move the state by weight 0)
    for attempt in range(1, 200):
        first = 0.001 * attempt
        probe = shaped(base, wide_names, wide_weights(first, marks), wide['classes'][1].count('_'))
        bw = srv.encode([probe])[0][HEADER:]
        block = block_for(ba, ya, bw, yb)
        if all(f4_ok(block[i:i + 4]) for i in range(0, 12, 4)):
            break
    else:
        sys.exit('no attempt gave three finite float4')
    # lookup3 reads little-endian words; the body stores float4 in network order
    last3 = struct.unpack('>3f', block)
    two = copy(probe)
    two['weights'][-1][-3:] = list(last3)
    return one, two


# ---------- pair 3/4: [1, 3, 2] and [1, 1, 6] of one length, the block in the losses ----------

LOSSES = [0.5, 0.25, 0.125, 0.0625]


def classed(base, layers, classes, fname, first):
    m = copy(base)
    m['layers'] = layers
    m['features'] = [fname]
    m['columns'] = [dict(base['columns'][0], name=fname)]
    m['classes'] = classes
    t = m['training']
    t['class_weights'] = [1] * len(classes)
    t['epochs'] = t['epochs_run'] = len(LOSSES)
    t['loss_per_epoch'] = list(LOSSES)
    w = []
    for i in range(1, len(layers)):
        w.append([0.05 * ((k % 7) - 3) for k in range((layers[i - 1] + 1) * layers[i])])
    w[0][0] = first
    m['weights'] = w
    return m


def pair_classes(srv, base):
    loss_bytes = struct.pack('>%dd' % len(LOSSES), *LOSSES)
    six = classed(base, [1, 1, 6], list('abcdef'), 'x', -0.15)
    b6 = srv.encode([six])[0][HEADER:]
    e = find_once(b6, loss_bytes, 'marker losses')
    y = e + (-e) % 12
    if y + 12 > e + len(loss_bytes):
        sys.exit('no 12-aligned block inside the epoch losses')

    # the two-class model padded (feature name: 2 bytes a character, class name: 1) to one length
    def two_classes(k, first):
        return classed(base, [1, 3, 2], ['a', 'b' * (1 + k % 2)], 'x' * (1 + k // 2), first)
    cands = [two_classes(k, -0.15) for k in range(400)]
    for k, enc in enumerate(srv.encode(cands)):
        if len(enc) == len(b6) + HEADER:
            break
    else:
        sys.exit('padding model 3 does not reach the length of model 4')
    for attempt in range(200):
        m = two_classes(k, -0.15 + 0.001 * attempt)
        b2 = srv.encode([m])[0][HEADER:]
        if find_once(b2, loss_bytes, 'marker losses') != e or b2[y + 12:] != b6[y + 12:]:
            sys.exit('models 3 and 4 differ after the free block: the format has moved it')
        new = bytearray(b2)
        new[y:y + 12] = block_for(b6, y, b2, y)
        chunk = bytes(new[e:e + len(loss_bytes)])
        if all(f8_ok(chunk[i:i + 8]) for i in range(0, len(chunk), 8)):
            break
    else:
        sys.exit('no attempt gave finite float8 losses')
    m['training']['loss_per_epoch'] = list(struct.unpack('>%dd' % len(LOSSES), chunk))
    return m, six


# ---------- main ----------

def verified(srv, a, b, same_length):
    """the server's texts of a and b, after checking that they (and their texts) collide"""
    ta, tb = srv.text([a, b])
    ea, eb, eta, etb = srv.encode([a, b, ta, tb])
    if (ea, eb) != (eta, etb):
        sys.exit('a model changes through its text form')
    if ea[8:16] != eb[8:16]:
        sys.exit('the checksums differ: %s %s' % (ea[8:16].hex(), eb[8:16].hex()))
    if same_length and len(ea) != len(eb):
        sys.exit('the lengths differ')
    print('checksum %s, lengths %d and %d' % (ea[8:16].hex(), len(ea), len(eb)), file=sys.stderr)
    return ta, tb


def insert(pairs):
    return 'INSERT INTO ts_models VALUES %s;' % ', '.join(
        "(%d, '%s')" % (i, json.dumps(m).replace("'", "''")) for i, m in pairs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('conninfo', help='libpq connection string of a database with bpnn installed')
    ap.add_argument('--update', metavar='FILE',
                    help="replace the lines 'INSERT INTO ts_models VALUES (1, ' and '(3, ' of FILE")
    args = ap.parse_args()
    srv = Server(args.conninfo)
    base = srv.text([TEMPLATE])[0]
    one, two = verified(srv, *pair_features(srv, base), same_length=False)
    three, four = verified(srv, *pair_classes(srv, base), same_length=True)
    lines = {1: insert([(1, one), (2, two)]), 3: insert([(3, three), (4, four)])}
    if not args.update:
        print(lines[1])
        print(lines[3])
        return
    with open(args.update) as f:
        text = f.read().split('\n')
    for i, old in enumerate(text):
        for n, new in lines.items():
            if old.startswith('INSERT INTO ts_models VALUES (%d, ' % n):
                text[i] = new
                lines[n] = None
    if any(lines.values()):
        sys.exit('%s has no INSERT INTO ts_models line for ids 1 or 3' % args.update)
    with open(args.update, 'w') as f:
        f.write('\n'.join(text))


if __name__ == '__main__':
    main()
