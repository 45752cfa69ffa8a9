#include "assembler.h"

#include <cstring>

namespace txray {

Assembler::Assembler(Emit emit, DropReasonNamer reason_name)
    : Assembler(std::move(emit), std::move(reason_name), Options{}) {}

Assembler::Assembler(Emit emit, DropReasonNamer reason_name, Options opt)
    : emit_(std::move(emit)), reason_name_(std::move(reason_name)), opt_(opt) {}

void Assembler::emit(Packet&& p) {
    ++stats_.packets;
    if (p.outcome == OutcomeKind::unfinished) ++stats_.unfinished;
    emit_(std::move(p));
}

void Assembler::complete_and_emit(Packet&& p, const txr_send& s) {
    p.stages.push_back({Stage::sendmsg_return, s.exit_ts});
    p.send_ret = s.ret;
    p.send_errno = errno_name_for_ret(s.ret);
    p.sort_stages();
    emit(std::move(p));
}

void Assembler::on_packet(const txr_packet& r, std::uint64_t now_ns) {
    Packet p = packet_from_record(r, reason_name_);
    if (!p.send_id) {
        emit(std::move(p));
        return;
    }
    auto [it, inserted] = sends_.try_emplace(p.send_id);
    SendState& st = it->second;
    if (inserted) st.seen_ns = now_ns;
    if (!st.info) {
        st.waiting.push_back(std::move(p));
        return;
    }
    complete_and_emit(std::move(p), *st.info);
    if (++st.emitted >= st.info->packets) sends_.erase(it);
}

void Assembler::on_send(const txr_send& s, std::uint64_t now_ns) {
    ++stats_.sends;
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
    if (st.emitted >= s.packets) sends_.erase(it);
}

void Assembler::tick(std::uint64_t now_ns) {
    for (auto it = sends_.begin(); it != sends_.end();) {
        SendState& st = it->second;
        const std::uint64_t age = now_ns > st.seen_ns ? now_ns - st.seen_ns : 0;
        if (!st.info && age > opt_.hold_ns) {
            for (Packet& p : st.waiting) {
                ++stats_.no_send_record;
                emit(std::move(p));
            }
            it = sends_.erase(it);
        } else if (st.info && age > opt_.send_keep_ns) {
            it = sends_.erase(it);
        } else {
            ++it;
        }
    }
}

void Assembler::finish() {
    for (auto& [id, st] : sends_)
        for (Packet& p : st.waiting) {
            ++stats_.no_send_record;
            emit(std::move(p));
        }
    sends_.clear();
}

std::size_t Assembler::held_packets() const {
    std::size_t n = 0;
    for (const auto& [id, st] : sends_) n += st.waiting.size();
    return n;
}

}  // namespace txray
