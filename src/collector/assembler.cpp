#include "assembler.h"

#include <algorithm>
#include <cstring>
#include <netinet/in.h>

#include "syscalls.h"

namespace txray {

Assembler::Assembler(Emit emit, DropReasonNamer reason_name)
    : Assembler(std::move(emit), std::move(reason_name), Options{}) {}

Assembler::Assembler(Emit emit, DropReasonNamer reason_name, Options opt)
    : emit_(std::move(emit)), reason_name_(std::move(reason_name)), opt_(opt) {}

void Assembler::emit(Packet&& p) {
    if (p.has_tcp) {
        move_marks(p);
        tcp_held_.push_back({std::move(p), now_ns_});
        return;
    }
    emit_now(std::move(p));
}

namespace {
// Sequence-space comparison (RFC 1982 style): a is before b.
bool seq_before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
constexpr std::size_t kTcpRangesPerSocket = 1024;
constexpr std::size_t kTcpSeqsPerSocket = 4096;
}  // namespace

void Assembler::finish_tcp(Packet& p) {
    // A segment sent outside its send's thread: find the send by its bytes.
    if (!p.send_id && p.sock && p.tcp_end_seq != p.tcp_seq) {
        if (auto it = tcp_sends_.find(p.sock); it != tcp_sends_.end()) {
            for (const TcpSendRange& r : it->second) {
                if (!seq_before(p.tcp_seq, r.start) && seq_before(p.tcp_seq, r.end)) {
                    p.send_id = r.send_id;
                    p.pid = r.pid;
                    p.tid = r.tid;
                    p.comm = r.comm;
                    p.send_syscall = syscall_name(r.syscall_nr);
                    p.send_by_seq = true;
                    ++stats_.tcp_by_seq;
                    break;
                }
            }
        }
    }
    // A GSO skb segmented in software never reached the wire: its segments
    // (gso_segment, each a packet) are the transmissions.
    if (p.sock && p.tcp_end_seq != p.tcp_seq && p.outcome != OutcomeKind::consumed) {
        // The earlier transmission that carried this segment's first byte
        // (a retransmission may start inside an earlier TSO skb).
        auto& first = tcp_first_[p.sock];
        const TcpRange* orig = nullptr;
        for (auto it = first.rbegin(); it != first.rend() && !orig; ++it)
            if (!seq_before(p.tcp_seq, it->seq) && seq_before(p.tcp_seq, it->end)) orig = &*it;
        if (orig && !p.retransmit) p.retransmit = true;  // same bytes again: a resend, marked or not
        if (p.retransmit) {
            p.retransmit_of = orig ? orig->id : 0;
            ++stats_.retransmits;
        } else {
            first.push_back({p.tcp_seq, p.tcp_end_seq, p.id});
            if (first.size() > kTcpSeqsPerSocket) first.pop_front();
        }
    }
}

namespace {
// When the packet went out (or ended): orders TCP segments as on the wire.
std::uint64_t wire_ts(const Packet& p) {
    for (Stage s : {Stage::driver_xmit, Stage::dev_queue_xmit, Stage::ip_output, Stage::drop})
        if (const StageMark* m = p.find(s)) return m->ts_ns;
    return p.last_ts();
}
}  // namespace

void Assembler::release_tcp(std::uint64_t now_ns, bool all) {
    std::vector<Packet> batch;
    while (!tcp_held_.empty() && (all || now_ns - tcp_held_.front().arrived_ns >= opt_.tcp_hold_ns)) {
        batch.push_back(std::move(tcp_held_.front().p));
        tcp_held_.pop_front();
    }
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Packet& a, const Packet& b) { return wire_ts(a) < wire_ts(b); });
    for (Packet& p : batch) {
        if (p.send_id && !p.find(Stage::sendmsg_return))
            if (auto it = sends_.find(p.send_id); it != sends_.end() && it->second.info) {
                p.stages.push_back({Stage::sendmsg_return, it->second.info->exit_ts});
                p.send_ret = it->second.info->ret;
                p.send_errno = errno_name_for_ret(it->second.info->ret);
                p.send_syscall = syscall_name(it->second.info->syscall_nr);
                p.sort_stages();
            }
        finish_tcp(p);
        emit_now(std::move(p));
    }
}

void Assembler::on_record(const void* data, std::size_t size, std::uint64_t now_ns) {
    if (size < 1) return;
    switch (*static_cast<const std::uint8_t*>(data)) {
    case TXR_REC_PACKET:
        if (size >= sizeof(txr_packet)) {
            on_packet(*static_cast<const txr_packet*>(data), now_ns);
        } else if (size == TXR_PACKET_SHORT) { // its tail was all 0 (bpf/txray.h)
            txr_packet p{};
            std::memcpy(&p, data, size);
            on_packet(p, now_ns);
        }
        break;
    case TXR_REC_SEND:
        if (size >= sizeof(txr_send)) on_send(*static_cast<const txr_send*>(data), now_ns);
        break;
    case TXR_REC_RETRANS:
        if (size >= sizeof(txr_retrans)) on_retransmit(*static_cast<const txr_retrans*>(data), now_ns);
        break;
    case TXR_REC_HEADERS:
        if (size >= sizeof(txr_headers)) on_headers(*static_cast<const txr_headers*>(data));
        break;
    case TXR_REC_HOPS:
        if (size >= sizeof(txr_hops)) on_hops(*static_cast<const txr_hops*>(data));
        break;
    case TXR_REC_LEAN:
        if (size >= sizeof(txr_lean_record))
            on_packet(record_from_lean(*static_cast<const txr_lean_record*>(data)), now_ns);
        break;
    }
}

void Assembler::on_hops(const txr_hops& h) {
    // A packet whose record was lost leaves its hops behind: bound the table.
    if (hops_.size() >= 1u << 16) hops_.clear();
    hops_[h.id] = h;
}

void Assembler::on_headers(const txr_headers& h) {
    // A packet whose record was lost leaves its bytes behind: bound the table.
    if (headers_.size() >= 1u << 20) headers_.clear();
    const std::size_t n = std::min<std::size_t>(h.len, sizeof h.data);
    headers_[h.id].assign(h.data, h.data + n);
}

namespace {
// When TCP handed the skb to IP: its own first stage there (a write's packets
// share the syscall's earlier stages, a resend in the same write included).
std::uint64_t ip_ts(const Packet& p) {
    for (Stage s : {Stage::ip_local_out, Stage::ip_output, Stage::neigh_output, Stage::dev_queue_xmit, Stage::driver_xmit})
        if (const StageMark* m = p.find(s)) return m->ts_ns;
    return p.last_ts();
}
bool transmits(const Packet& p, std::uint64_t sk, std::uint32_t seq, std::uint64_t ts) {
    return p.sock == sk && p.tcp_seq == seq && p.tcp_end_seq != p.tcp_seq && ip_ts(p) <= ts;
}
}  // namespace

void Assembler::on_retransmit(const txr_retrans& r, std::uint64_t now_ns) {
    now_ns_ = now_ns;
    // The latest held transmission of that range on that socket, sent before the mark.
    Packet* latest = nullptr;  // ties: the later arrival
    for (HeldTcp& h : tcp_held_)
        if (transmits(h.p, r.sk, r.seq, r.ts) && (!latest || ip_ts(h.p) >= ip_ts(*latest))) latest = &h.p;
    if (latest) latest->retransmit = true;
    while (!tcp_marks_.empty() && (tcp_marks_.size() >= kTcpSeqsPerSocket ||
                                   now_ns - tcp_marks_.front().arrived_ns > opt_.tcp_hold_ns))
        tcp_marks_.pop_front();
    tcp_marks_.push_back({r.sk, r.seq, r.ts, latest ? ip_ts(*latest) : 0, now_ns});
}

// A transmission arriving after a mark for its range, later than the one the
// mark found: the resend the mark was about (its record waited for its TX
// completion). An earlier transmission it unmarks is still a resend if the
// first one is in the trace (finish_tcp: same bytes again).
void Assembler::move_marks(Packet& p) {
    for (TcpMark& m : tcp_marks_) {
        if (!transmits(p, m.sk, m.seq, m.ts) || ip_ts(p) <= m.marked_ts) continue;
        for (HeldTcp& h : tcp_held_)
            if (transmits(h.p, m.sk, m.seq, m.ts) && ip_ts(h.p) == m.marked_ts) h.p.retransmit = false;
        p.retransmit = true;
        m.marked_ts = ip_ts(p);
    }
}

void Assembler::emit_now(Packet&& p) {
    ++stats_.packets;
    if (p.outcome == OutcomeKind::unfinished) ++stats_.unfinished;
    emit_(std::move(p));
}

void Assembler::complete_and_emit(Packet&& p, const txr_send& s) {
    p.stages.push_back({Stage::sendmsg_return, s.exit_ts});
    p.send_ret = s.ret;
    p.send_errno = errno_name_for_ret(s.ret);
    p.send_syscall = syscall_name(s.syscall_nr);
    p.sort_stages();
    emit(std::move(p));
}

void Assembler::on_packet(const txr_packet& r, std::uint64_t now_ns) {
    now_ns_ = now_ns;
    release_tcp(now_ns, false);
    Packet p = packet_from_record(r, reason_name_, symbol_name_);
    if (r.hop && !hops_.empty())
        if (auto it = hops_.find(p.id); it != hops_.end()) {
            add_hops(p, it->second);
            hops_.erase(it);
        }
    if (!headers_.empty())
        if (auto it = headers_.find(p.id); it != headers_.end()) {
            p.headers = std::move(it->second);
            headers_.erase(it);
        }
    // The send's record folded into its only packet (TXR_PF_SEND_FOLDED): the
    // sendmsg_return stage came with the record; a send record all the same.
    if (r.flags & TXR_PF_SEND_FOLDED) {
        ++stats_.sends;
        if (r.tid) release_lost_sends_of(r.tid, r.send_id);
        p.send_ret = r.send_ret;
        p.send_errno = errno_name_for_ret(r.send_ret);
        emit(std::move(p));
        return;
    }
    // TCP segments do not wait for their write's record (a write may block
    // for the whole transfer): they wait tcp_hold_ns, ordered by wire time.
    if (!p.send_id || p.has_tcp || !opt_.sends_recorded) {
        emit(std::move(p));
        return;
    }
    auto [it, inserted] = sends_.try_emplace(p.send_id);
    SendState& st = it->second;
    if (inserted) st.seen_ns = now_ns;
    if (!st.info) {
        if (st.waiting.empty() && p.tid) waiting_by_tid_[p.tid].push_back(p.send_id);
        st.waiting.push_back(std::move(p));
        return;
    }
    complete_and_emit(std::move(p), *st.info);
    if (++st.emitted >= st.info->packets) sends_.erase(it);
}

// A thread's syscalls run one after another, and the ring buffer hands
// records over in the order they were reserved: a send's record (reserved at
// its syscall's exit) comes before anything of the thread's next syscall. So
// when a send record of thread T arrives, every other send of T still waiting
// for its record lost it (ring buffer full): its packets need not wait
// hold_ns (under heavy loss that wait held ~a second of packets in memory).
// Packet records are no such proof: a packet queued in a qdisc ends after
// the thread's later syscalls have begun.
void Assembler::release_lost_sends_of(std::uint32_t tid, std::uint64_t arrived_send) {
    auto w = waiting_by_tid_.find(tid);
    if (w == waiting_by_tid_.end()) return;
    for (std::uint64_t id : w->second) {
        auto it = sends_.find(id);
        if (id == arrived_send || it == sends_.end() || it->second.info) continue;
        for (Packet& p : it->second.waiting) {
            ++stats_.no_send_record;
            emit(std::move(p));
        }
        sends_.erase(it);
    }
    w->second.clear();  // kept (with its capacity) for the thread's next send
}

void Assembler::on_send(const txr_send& s, std::uint64_t now_ns) {
    now_ns_ = now_ns;
    ++stats_.sends;
    // An io_uring send's record comes at its completion, not in its thread's
    // order of calls: no proof about the thread's other sends.
    if (s.tid && s.syscall_nr != TXR_NR_io_uring_enter) release_lost_sends_of(s.tid, s.send_id);
    if (s.proto == 6 && s.sk && s.tcp_seq_end != s.tcp_seq_start) {
        auto& q = tcp_sends_[s.sk];
        q.push_back({s.tcp_seq_start, s.tcp_seq_end, s.send_id, s.pid, s.tid,
                     std::string(s.comm, strnlen(s.comm, sizeof s.comm)), s.syscall_nr});
        if (q.size() > kTcpRangesPerSocket) q.pop_front();
    }
    auto [it, inserted] = sends_.try_emplace(s.send_id);
    SendState& st = it->second;
    if (inserted) st.seen_ns = now_ns;
    st.info = s;
    for (Packet& p : st.waiting) {
        complete_and_emit(std::move(p), s);
        ++st.emitted;
    }
    st.waiting.clear();
    if (s.packets == 0 && s.ret < 0) {
        // The syscall failed before any skb we could follow existed
        // (ENOBUFS from the send buffer, EMSGSIZE, a route error...).
        ++stats_.failed_sends;
        Packet p;
        p.id = s.send_id;
        p.send_id = s.send_id;
        p.pid = s.pid;
        p.tid = s.tid;
        p.comm = std::string(s.comm, strnlen(s.comm, sizeof s.comm));
        p.outcome = OutcomeKind::error;
        p.stages.push_back({Stage::sendmsg, s.enter_ts});
        complete_and_emit(std::move(p), s);
    }
    if (st.emitted >= s.packets && s.proto != IPPROTO_TCP) sends_.erase(it);
}

void Assembler::tick(std::uint64_t now_ns) {
    now_ns_ = now_ns;
    release_tcp(now_ns, false);
    for (auto it = sends_.begin(); it != sends_.end();) {
        SendState& st = it->second;
        const std::uint64_t age = now_ns > st.seen_ns ? now_ns - st.seen_ns : 0;
        if (!st.info && age > opt_.hold_ns) {
            for (Packet& p : st.waiting) {
                ++stats_.no_send_record;
                emit(std::move(p));
            }
            it = sends_.erase(it);
        } else if (st.info && age > (st.info->proto == IPPROTO_TCP ? opt_.tcp_send_keep_ns : opt_.send_keep_ns)) {
            it = sends_.erase(it);
        } else {
            ++it;
        }
    }
    if (sends_.size() > opt_.max_waiting_sends) forget_oldest_sends();
    // Threads that sent no record since: drop the ids released above.
    for (auto w = waiting_by_tid_.begin(); w != waiting_by_tid_.end();) {
        std::erase_if(w->second, [this](std::uint64_t id) {
            auto it = sends_.find(id);
            return it == sends_.end() || it->second.info;
        });
        w = w->second.empty() ? waiting_by_tid_.erase(w) : std::next(w);
    }
}

void Assembler::forget_oldest_sends() {
    // Only sends whose record came (waiting for packets); a send still
    // missing its record holds packets, released by hold_ns above.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> done;  // (seen_ns, send id)
    for (const auto& [id, st] : sends_)
        if (st.info) done.emplace_back(st.seen_ns, id);
    const std::size_t excess = sends_.size() - opt_.max_waiting_sends;
    if (excess >= done.size()) {
        for (const auto& [seen, id] : done) sends_.erase(id);
        stats_.sends_forgotten += done.size();
        return;
    }
    std::nth_element(done.begin(), done.begin() + static_cast<std::ptrdiff_t>(excess), done.end());
    for (std::size_t i = 0; i < excess; ++i) sends_.erase(done[i].second);
    stats_.sends_forgotten += excess;
}

void Assembler::finish() {
    for (auto& [id, st] : sends_)
        for (Packet& p : st.waiting) {
            ++stats_.no_send_record;
            emit(std::move(p));
        }
    sends_.clear();
    waiting_by_tid_.clear();
    release_tcp(0, true);
}

std::size_t Assembler::held_packets() const {
    std::size_t n = tcp_held_.size();
    for (const auto& [id, st] : sends_) n += st.waiting.size();
    return n;
}

}  // namespace txray
