// Command miniraft watches Raft work and breaks it on purpose.
//
//	miniraft                      the TUI on the built-in demo scenario
//	miniraft tui [SCENARIO]       the TUI on a scenario
//	miniraft run SCENARIO...      run scenarios, check Raft's safety and liveness, report
//	miniraft fuzz                 random fault schedules; failures shrunk to small files
//	miniraft replay TRACE         play a recorded run back in the TUI
//	miniraft scenarios            list the built-in scenarios
//	miniraft version              print the version
//
// Exit codes: 0 pass, 1 a violation or failed expectation, 2 bad usage or bad input.
// The commands live in package cli, so that a binary built around a user's own Raft runs
// the same code.
package main

import (
	"os"

	"github.com/miniraft/miniraft/cmd/miniraft/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
