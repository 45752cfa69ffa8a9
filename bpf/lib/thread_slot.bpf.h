/* A thread's packet slot: where a packet's in-flight state lives while the
 * thread that made it carries it through the synchronous part of the send
 * path (cgroup egress, ip_finish_output2, __dev_queue_xmit, the driver's
 * ndo_start_xmit and its return all run in the sending context). A lookup is
 * a task storage pointer chase instead of a hash walk, and a veth or lo packet
 * (handed to the receive path before the driver returns) is made, stamped
 * and ended without one hash update or delete.
 *
 * The packet moves to the skb-keyed hash ("spills") as soon as it may go on
 * in another context: accepted by a qdisc (dequeued by whichever CPU runs
 * it), queued for a neighbour (sent by whoever resolves it), still with the
 * driver when ndo_start_xmit returns (TX completion), or displaced by the
 * thread's next packet. Every later stage looks in the current thread's slot
 * first, then in the hash, so a packet is always in exactly one of them.
 *
 * A program that interrupts another on the same CPU (a softirq during a
 * process-context program) sees the same `current` and so the same slot:
 * `busy` makes it use the hash instead (slot_take). Programs on one CPU nest
 * strictly, so a plain flag is enough. A slot is only ever made by a program
 * that may call bpf_task_storage_get (user space sets slots_on). */
#pragma once

#include "counted_hash.bpf.h"

const volatile __u8 slots_on = 0;

/* NULL unless the slot is free for this program, which then holds it until
 * slot_leave. */
#define slot_take(s)                                                                 \
	({                                                                           \
		typeof(s) __s = (s);                                                 \
		if (__s && __s->busy)                                                \
			__s = NULL;                                                  \
		if (__s) {                                                           \
			__s->busy = 1;                                               \
			barrier(); /* taken before any use */                        \
		}                                                                    \
		__s;                                                                 \
	})

#define slot_leave(s)                                                                \
	do {                                                                         \
		if (s) {                                                             \
			barrier(); /* every use done */                              \
			(s)->busy = 0;                                               \
		}                                                                    \
	} while (0)

/* The in-flight value for skb address `k` (an lvalue): in the taken slot
 * `s` (its value member `field`), else in the counted hash `map` (its name:
 * lib/counted_hash.bpf.h). */
#define slot_find(s, k, field, map) ((s) && (s)->key == (k) ? &(s)->field : counted_lookup(map, &(k)))

/* The slot's packet may go on in another context: into the hash `map`
 * (counted; a full hash loses it, counted too). */
#define slot_spill(s, field, map)                                                    \
	do {                                                                         \
		if ((s) && (s)->key) {                                               \
			if (counted_insert(map, &(s)->key, &(s)->field))             \
				count(TXR_C_INFLIGHT_FULL);                          \
			else                                                         \
				count(TXR_C_SPILLED);                                \
			(s)->key = 0;                                                \
		}                                                                    \
	} while (0)

/* The same, only if the slot holds skb address `k`. */
#define slot_spill_if_holds(s, k, field, map)                                        \
	do {                                                                         \
		if ((s) && (s)->key == (k))                                          \
			slot_spill(s, field, map);                                   \
	} while (0)
