package raft

import (
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

// Debug logging is off unless MINIRAFT_DEBUG is set: "1" or "all" for every topic, or a
// comma-separated list of topics. Each line gives the time since start, the peer, its
// term and the topic.
//
// Topics: elect (roles, terms, votes), log (appends, truncations), commit, apply, snap
// (snapshots), rpc (every message sent).
var (
	debugStart  = time.Now()
	debugTopics = parseDebugTopics(os.Getenv("MINIRAFT_DEBUG"))
	debugLogger = log.New(os.Stderr, "", 0)
)

func parseDebugTopics(v string) map[string]bool {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" {
		return nil
	}
	topics := map[string]bool{}
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if t == "1" || t == "all" {
			t = "*"
		}
		topics[t] = true
	}
	return topics
}

func debugOn(topic string) bool {
	return debugTopics != nil && (debugTopics["*"] || debugTopics[topic])
}

func debugf(peer, term int, topic, format string, args ...interface{}) {
	if !debugOn(topic) {
		return
	}
	ms := time.Since(debugStart).Milliseconds()
	debugLogger.Printf("%07d P%d T%-3d %-6s %s", ms, peer, term, topic, fmt.Sprintf(format, args...))
}

func eventTopic(k EventKind) string {
	switch k {
	case EventBoot, EventRole, EventTerm, EventVote:
		return "elect"
	case EventAppend, EventTruncate:
		return "log"
	case EventCommit:
		return "commit"
	case EventApply:
		return "apply"
	}
	return "snap"
}

// withDebugLog returns an observer that logs each event (when debugging is on) and then
// passes it to next.
func withDebugLog(next func(Event)) func(Event) {
	if debugTopics == nil {
		return next
	}
	return func(e Event) {
		debugf(e.Peer, e.Term, eventTopic(e.Kind), "%v", e)
		if next != nil {
			next(e)
		}
	}
}
