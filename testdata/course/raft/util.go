package raft

import "log"

// Debug turns on DPrintf.
const Debug = false

func DPrintf(format string, a ...interface{}) {
	if Debug {
		log.Printf(format, a...)
	}
}
