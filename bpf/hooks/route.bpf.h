/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, route layer: the output route lookup.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_ROUTE_BPF_H
#define TXRAY_HOOKS_ROUTE_BPF_H

/* ------------------------------------------------------------------ */
/* Output route lookup                                                 */

TASK_HOOKS(ip_route_output_flow, ip_route_output_flow, TXR_ST_ROUTE)
TASK_HOOKS(ip6_dst_lookup_flow, ip6_dst_lookup_flow, TXR_ST_ROUTE)
/* fib_table_lookup also fires for input routes: see route_stage(). */
SEC("tp_btf/fib_table_lookup")
int BPF_PROG(txr_tp_fib_table_lookup) { route_stage(); return 0; }
SEC("tp_btf/fib6_table_lookup")
int BPF_PROG(txr_tp_fib6_table_lookup) { route_stage(); return 0; }

#endif /* TXRAY_HOOKS_ROUTE_BPF_H */
