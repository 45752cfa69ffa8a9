# Sourced by bench/overhead.sh and bench/agent-soak.sh: scrape PORT FILE.
scrape() {  # PORT FILE: the agent's /metrics into FILE (3 tries; bash's
    # /dev/tcp, not an interpreter started each second: that took CPU from the sender)
    local i
    for i in 1 2 3; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 >"$2.raw") 2>/dev/null &&
            head -1 "$2.raw" | grep -q ' 200 '; then
            sed '1,/^\r$/d' "$2.raw" >"$2"
            rm -f "$2.raw"
            return 0
        fi
        sleep 0.5
    done
    rm -f "$2.raw"
    return 1
}
