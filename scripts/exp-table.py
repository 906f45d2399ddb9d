#!/usr/bin/env python3
"""Prints the 2^(i/128) table of Sources/CKernels/exp.c.

The table of the exp algorithm in glibc 2.28 and later (ARM's optimized-routines): for
i = 0..127, with s = the double nearest 2^(i/128) and t = the double nearest (2^(i/128) - s)/s,
entry 2i is the bits of t and entry 2i+1 is bits(s) - (i << 45). Computed here at 80 digits and
rounded once, it equals the table in Debian 12's libm.so.6 word for word (checked when written);
the tests check the resulting exp against libm's on every path the kernel takes.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
import struct

getcontext().prec = 80
ln2 = Decimal(2).ln()
bits = lambda d: struct.unpack('<Q', struct.pack('<d', d))[0]
words = []
for i in range(128):
    v = Fraction((Decimal(i) / 128 * ln2).exp())
    s = float(v)                                   # correctly rounded, ties to even
    t = float((v - Fraction(s)) / Fraction(s))
    words += [bits(t), (bits(s) - (i << 45)) % 2**64]
for k in range(0, 256, 4):
    print('    ' + ', '.join('0x%016xull' % w for w in words[k:k + 4]) + ',')
