//go:build linux

package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// chromium returns the path of a Chromium (or Chrome) binary, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting a browser")
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed (on Debian: apt-get install chromium)")
	return ""
}

// errorCatcher goes first in the page under test: it writes every error the page meets
// (uncaught exceptions, console.error, refused loads) into an element that --dump-dom
// shows.
const errorCatcher = `<script>
window.__errs = [];
window.addEventListener("error", function (e) { window.__errs.push("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { window.__errs.push("rejection: " + e.reason); });
document.addEventListener("securitypolicyviolation", function (e) { window.__errs.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
(function () { var ce = console.error; console.error = function () { window.__errs.push("console: " + Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); }; })();
window.addEventListener("load", function () {
  var p = document.createElement("pre"); p.id = "test-errors"; p.textContent = JSON.stringify(window.__errs); document.body.appendChild(p);
});
</script>`

// openInChromium loads page in headless Chromium and returns the DOM after load and
// the console messages Chromium logged (from the page and its frames).
func openInChromium(t *testing.T, bin, page string) (dom string, console []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	page = strings.Replace(page, "<head>", "<head>"+errorCatcher, 1)
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	if err := os.Mkdir(profile, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+profile,
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--window-size=1100,2000", "--dump-dom", "file://"+path)
	// Chromium starts helper processes: give them a group of their own, and end the
	// group when it is done or the test gives up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers still around, if any
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(stderr.String(), 3000))
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	return stdout.String(), console
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

var testErrors = regexp.MustCompile(`<pre id="test-errors">(.*?)</pre>`)

// checkOpened asserts that the page loaded without errors and that its script ran.
func checkOpened(t *testing.T, dom string, console []string, wantCursors int) {
	t.Helper()
	for _, c := range console {
		t.Errorf("console: %s", c)
	}
	m := testErrors.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page never finished loading (no #test-errors in the DOM):\n%s", tail(dom, 2000))
	}
	if m[1] != "[]" {
		t.Errorf("errors in the page: %s", m[1])
	}
	// The page's own script adds a time cursor to each timed chart.
	if got := strings.Count(dom, `<line class="cursor"`); got != wantCursors {
		t.Errorf("%d time cursors in the DOM, want %d: the page's script did not run as it should", got, wantCursors)
	}
	for _, id := range sections {
		if !strings.Contains(dom, `id="`+id+`"`) {
			t.Errorf("the DOM has no section %q", id)
		}
	}
}

func TestOpensInChromium(t *testing.T) {
	bin := chromium(t)
	t.Run("passing run", func(t *testing.T) {
		run := runScenario(t, "demo", "", 1)
		dom, console := openInChromium(t, bin, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
		checkOpened(t, dom, console, 3)
	})
	t.Run("failing run with porcupine's visualization embedded", func(t *testing.T) {
		src := "# <script>alert(1)</script>\npeers 3\nworkload rate=20\nwait leader within 5s\nat 1s isolate leader\nexpect leaders == 3\n"
		run := runScenario(t, "failing", src, 5)
		if run.res.Pass {
			t.Fatal("the run passed")
		}
		d := run.rec.Data(run.sc, &run.res.Result, run.res.KV)
		d.Sections = []Section{{Title: "Linearizability", Status: "fail", Text: "not linearizable", Link: "porcupine.html", Embed: staleReadVisualization(t)}}
		dom, console := openInChromium(t, bin, render(t, d))
		checkOpened(t, dom, console, 3)
		if !strings.Contains(dom, `id="violation"`) {
			t.Error("the DOM has no violation section")
		}
		if strings.Contains(dom, "<script>alert(1)") {
			t.Error("the scenario's comment became a script")
		}
	})
}

// register is porcupine's model of one register: put x, then get returns x.
var register = porcupine.Model{
	Init: func() interface{} { return 0 },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in := input.([2]int) // {0, v}: put v; {1, 0}: get
		if in[0] == 0 {
			return true, in[1]
		}
		return output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.([2]int)
		if in[0] == 0 {
			return "put " + string(rune('0'+in[1]))
		}
		return "get -> " + string(rune('0'+output.(int)))
	},
}

// staleReadVisualization returns porcupine's visualization of a stale read: client 1
// reads 0 after client 0's put 1 returned.
func staleReadVisualization(t *testing.T) string {
	t.Helper()
	history := []porcupine.Operation{
		{ClientId: 0, Input: [2]int{0, 1}, Call: 0, Output: 0, Return: 10},
		{ClientId: 1, Input: [2]int{1, 0}, Call: 20, Output: 0, Return: 30},
	}
	res, info := porcupine.CheckOperationsVerbose(register, history, time.Second)
	if res != porcupine.Illegal {
		t.Fatalf("porcupine says %v, want Illegal", res)
	}
	var b bytes.Buffer
	if err := porcupine.Visualize(register, info, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
