package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/report"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/internal/bugs"
	"github.com/miniraft/miniraft/scripts"
)

// runReport is the --report of one run: the file, created before the run so that a bad
// path fails at once, and the recorder that sees the run.
type runReport struct {
	path string
	f    *os.File
	rec  *report.Recorder
}

// startReport creates the report file of a run of sc (in the directory o.report when
// running several scenarios), or returns nil without --report.
func startReport(o *runOptions, sc *scenario.Scenario, many bool) (*runReport, error) {
	if o.report == "" {
		if o.reportWindow != "" {
			return nil, fmt.Errorf("--report-window needs --report")
		}
		return nil, nil
	}
	var w report.Window
	if o.reportWindow != "" {
		var err error
		if w, err = report.ParseWindow(o.reportWindow); err != nil {
			return nil, fmt.Errorf("--report-window: %w", err)
		}
	}
	path := o.report
	if many {
		path = filepath.Join(o.report, sc.Name+".html")
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	rec := report.NewRecorder(0, model.InfoOf(sc, o.engine, sc.Header.Seed))
	rec.Keep(w)
	return &runReport{path: path, f: f, rec: rec}, nil
}

// finish writes the report of the run of sc that gave res, and closes the file.
func (r *runReport) finish(o *runOptions, sc *scenario.Scenario, res *runner.Result) error {
	d := r.rec.Data(sc, &res.Result, res.KV)
	d.Repro = reportRepro(o, sc, res)
	err := report.Write(r.f, d)
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", r.path, err)
	}
	return nil
}

// close closes the file of a run that did not finish.
func (r *runReport) close() {
	if r != nil {
		r.f.Close()
	}
}

// reportRepro returns the command that runs sc again as it ran, for the report.
func reportRepro(o *runOptions, sc *scenario.Scenario, res *runner.Result) string {
	arg := sc.Name
	if b, err := scripts.Read(sc.Name); err != nil || string(b) != sc.Source {
		arg = sc.Name + scripts.Ext
		if len(sc.Steps) > 0 && sc.Steps[0].Pos.File != "" {
			arg = sc.Steps[0].Pos.File
		}
	}
	cmd := []string{"miniraft", "run", "--engine", res.Engine, "--seed", fmt.Sprint(res.Seed)}
	if o.peers != 0 {
		cmd = append(cmd, "--peers", fmt.Sprint(o.peers))
	}
	for _, b := range bugs.Known { // only a bugs build has any on
		if bugs.On(b) {
			cmd = append(cmd, "--bug", b)
		}
	}
	return strings.Join(append(cmd, shellWord(arg)), " ")
}

// shellWord quotes s for a POSIX shell if it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
