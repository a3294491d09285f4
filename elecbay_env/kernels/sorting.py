"""Stable index sorts for the period kernel: order books and merit orders.

Tie rule (every sort here): entries with equal keys keep their index order, so the
result is exactly ``np.argsort(price[:n], kind="stable")`` (ascending) or
``np.argsort(-price[:n], kind="stable")`` (descending). A stable sort of a total
preorder is unique, so the insertion sort (small books) and the merge sort (large
books) give the same order, index for index, and the fills and prices of the auction
do not depend on which one ran. Keys must not be NaN (orders are validated finite);
``-0.0`` and ``0.0`` are equal keys.

Cost: :func:`insertion_sort_row` is O(n^2) comparisons in the worst case and fastest
for a few tens of entries; :func:`merge_sort_row` is O(n log n): insertion-sorted runs
of :data:`RUN` entries merged bottom-up, with a linear pass for runs already in order;
:func:`radix_sort_row` is O(n): a least-significant-digit radix sort of the keys' bits,
stable by construction, fastest above about a thousand entries (4-6x the merge sort at
16 000 to 80 000). :func:`sort_row` picks one by :data:`SMALL_SORT` and
:data:`RADIX_SORT`.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

SMALL_SORT = 32
"""Books of at most this many entries are insertion sorted (no scratch to allocate)."""
RUN = 16
"""Length of the insertion-sorted runs the merge sort starts from."""
RADIX_SORT = 1024
"""Books of more than this many entries are radix sorted."""
RADIX_BITS = 11
"""Bits per radix digit: 2 048 buckets (their counts stay in the first cache levels)."""
RADIX_PASSES = 6
"""Digits of a 64-bit key (6 x 11 >= 64)."""


@kernel
def insertion_sort_row(price, n, descending, order):
    """Stable index sort of ``price[:n]`` into ``order[:n]`` by insertion; O(n^2).

    Args:
        price: (M,) keys (e.g. currency per MWh), M >= n; read only.
        n: number of real entries.
        descending: best (highest) first if true, else lowest first.
        order: (M,) int out: sorted indices of the first ``n`` entries, then the
            padded indices ``n .. M - 1`` in place.
    """
    for t in range(order.shape[0]):
        order[t] = t
    for t in range(1, n):
        idx = order[t]
        p = price[idx]
        s = t - 1
        if descending:
            while s >= 0 and price[order[s]] < p:
                order[s + 1] = order[s]
                s -= 1
        else:
            while s >= 0 and price[order[s]] > p:
                order[s + 1] = order[s]
                s -= 1
        order[s + 1] = idx


@kernel
def _merge_pass(src_k, src_i, dst_k, dst_i, n, width):
    """Merge neighbouring sorted runs of ``width`` from ``src`` into ``dst``; ties
    take the left run first (stable)."""
    for lo in range(0, n, 2 * width):
        mid = min(lo + width, n)
        hi = min(lo + 2 * width, n)
        if mid >= hi or src_k[mid - 1] <= src_k[mid]:  # one run, or already in order
            for t in range(lo, hi):
                dst_k[t] = src_k[t]
                dst_i[t] = src_i[t]
            continue
        a = lo
        b = mid
        o = lo
        while a < mid and b < hi:
            if src_k[b] < src_k[a]:
                dst_k[o] = src_k[b]
                dst_i[o] = src_i[b]
                b += 1
            else:
                dst_k[o] = src_k[a]
                dst_i[o] = src_i[a]
                a += 1
            o += 1
        while a < mid:
            dst_k[o] = src_k[a]
            dst_i[o] = src_i[a]
            a += 1
            o += 1
        while b < hi:
            dst_k[o] = src_k[b]
            dst_i[o] = src_i[b]
            b += 1
            o += 1


@kernel
def merge_sort_row(price, n, descending, order):
    """Stable index sort of ``price[:n]`` into ``order``; O(n log n), same result as
    :func:`insertion_sort_row` (arguments alike). Allocates 4n words of scratch."""
    for t in range(n, order.shape[0]):
        order[t] = t
    if n <= 0:
        return
    keys = np.empty((2, n))
    idx = np.empty((2, n), np.int64)
    k0 = keys[0]
    i0 = idx[0]
    for t in range(n):
        # negation is exact, so ``-a < -b`` exactly when ``a > b``
        k0[t] = -price[t] if descending else price[t]
        i0[t] = t
    for lo in range(0, n, RUN):
        hi = min(lo + RUN, n)
        for t in range(lo + 1, hi):
            kt = k0[t]
            s = t - 1
            while s >= lo and k0[s] > kt:
                k0[s + 1] = k0[s]
                i0[s + 1] = i0[s]
                s -= 1
            k0[s + 1] = kt
            i0[s + 1] = t
    src = 0
    width = RUN
    while width < n:
        _merge_pass(keys[src], idx[src], keys[1 - src], idx[1 - src], n, width)
        src = 1 - src
        width *= 2
    res = idx[src]
    for t in range(n):
        order[t] = res[t]


@kernel
def radix_sort_row(price, n, descending, order):
    """Stable index sort of ``price[:n]`` into ``order``; O(n), same result as
    :func:`insertion_sort_row` (arguments alike). Allocates 4n words of scratch.

    Each key becomes an unsigned integer of the same order (IEEE 754: flip every bit of
    a negative number, the sign bit of a positive one; ``-0.0`` first becomes ``0.0``
    so the two stay equal keys), then :data:`RADIX_PASSES` stable counting passes sort
    it digit by digit from the lowest; a digit every key shares is skipped.
    """
    for t in range(n, order.shape[0]):
        order[t] = t
    if n <= 0:
        return
    keys = np.empty((2, n), np.uint64)
    idx = np.empty((2, n), np.int64)
    cell = np.empty(1)
    bits = cell.view(np.uint64)
    counts = np.zeros((RADIX_PASSES, 1 << RADIX_BITS), np.int64)
    sign = np.uint64(1) << np.uint64(63)
    mask = np.uint64((1 << RADIX_BITS) - 1)
    for t in range(n):
        cell[0] = (-price[t] if descending else price[t]) + 0.0
        u = bits[0]
        u = ~u if u & sign else u | sign
        keys[0, t] = u
        idx[0, t] = t
        for p in range(RADIX_PASSES):
            counts[p, (u >> np.uint64(p * RADIX_BITS)) & mask] += 1
    src = 0
    for p in range(RADIX_PASSES):
        c = counts[p]
        total = 0
        shared = False
        for b in range(c.shape[0]):  # counts -> first slot of each digit
            v = c[b]
            shared = shared or v == n
            c[b] = total
            total += v
        if shared:
            continue
        sk, si, dk, di = keys[src], idx[src], keys[1 - src], idx[1 - src]
        shift = np.uint64(p * RADIX_BITS)
        for t in range(n):
            u = sk[t]
            b = (u >> shift) & mask
            o = c[b]
            dk[o] = u
            di[o] = si[t]
            c[b] = o + 1
        src = 1 - src
    res = idx[src]
    for t in range(n):
        order[t] = res[t]


@kernel
def sort_row(price, n, descending, order):
    """Stable index sort of ``price[:n]`` into ``order``, best price first.

    Insertion sort up to :data:`SMALL_SORT` entries, merge sort up to
    :data:`RADIX_SORT`, radix sort above; all give the order of the module's tie rule.
    Arguments as :func:`insertion_sort_row`.
    """
    if n <= SMALL_SORT:
        insertion_sort_row(price, n, descending, order)
    elif n <= RADIX_SORT:
        merge_sort_row(price, n, descending, order)
    else:
        radix_sort_row(price, n, descending, order)


@kernel
def sort_pairs_descending(key, val, n):
    """Sort ``key[:n]`` descending in place, moving ``val[:n]`` along; stable.

    Args:
        key: (M,) keys, M >= n (e.g. currency per MWh); sorted in place.
        val: (M,) values carried with their keys (e.g. MWh).
        n: number of entries.
    """
    if n <= SMALL_SORT:
        for a in range(1, n):
            ka = key[a]
            va = val[a]
            b = a - 1
            while b >= 0 and key[b] < ka:
                key[b + 1] = key[b]
                val[b + 1] = val[b]
                b -= 1
            key[b + 1] = ka
            val[b + 1] = va
        return
    order = np.empty(n, np.int64)
    sort_row(key, n, True, order)
    k = np.empty(n)
    v = np.empty(n)
    for t in range(n):
        k[t] = key[order[t]]
        v[t] = val[order[t]]
    for t in range(n):
        key[t] = k[t]
        val[t] = v[t]
