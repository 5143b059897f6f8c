package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// output is a file a command writes, created before anything runs so that a path that
// cannot be written fails at once (exit 2), not after a long run.
type output struct {
	path string
	f    *os.File
	done bool
}

// finish closes the file, once.
func (o *output) finish() error {
	if o.done {
		return nil
	}
	o.done = true
	return o.f.Close()
}

// outputs are the files one command writes.
type outputs struct {
	json *output // nil without --json, or with --json -
	all  []*output
}

// close closes the files not yet finished (a command that ended early).
func (os *outputs) close() {
	for _, o := range os.all {
		o.finish() //nolint:errcheck // what was written is what there is
	}
}

// openOutputs checks the paths of --trace, --report and --json for jobs, gives each job
// its files, and creates every file. With several jobs, --trace and --report name a
// directory that gets NAME.jsonl and NAME.html for each; a path with an extension is
// refused there, as ambiguous (--report one.html a b). An existing directory, or a path
// ending in /, is a directory for one job too. Two outputs may not share a path.
func openOutputs(o *runOptions, jobs []*job) (*outputs, error) {
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.sc.Name
	}
	traces, err := outPaths("trace", o.trace, ".jsonl", names)
	if err != nil {
		return nil, err
	}
	reports, err := outPaths("report", o.report, ".html", names)
	if err != nil {
		return nil, err
	}
	var paths []flagPath
	for _, p := range traces {
		paths = append(paths, flagPath{"--trace", p})
	}
	for _, p := range reports {
		paths = append(paths, flagPath{"--report", p})
	}
	if o.json != "" && o.json != "-" {
		if fi, err := os.Stat(o.json); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("--json %s: a directory; name a file (the results of every scenario go into one document)", o.json)
		}
		paths = append(paths, flagPath{"--json", o.json})
	}
	files, err := create(paths)
	if err != nil {
		return nil, err
	}
	outs := &outputs{all: files}
	for i, j := range jobs {
		if traces != nil {
			j.trace = files[i]
		}
		if reports != nil {
			j.report = files[len(traces)+i]
		}
	}
	if o.json != "" && o.json != "-" {
		outs.json = files[len(files)-1]
	}
	return outs, nil
}

// flagPath is a file a flag asks for.
type flagPath struct{ flag, path string }

// create refuses two flags (or two scenarios) writing one file, then creates every file;
// if one cannot be created, it removes those it created and says which flag failed.
func create(paths []flagPath) ([]*output, error) {
	seen := map[string]string{}
	for _, p := range paths {
		key, err := filepath.Abs(p.path)
		if err != nil {
			key = filepath.Clean(p.path)
		}
		if other, ok := seen[key]; ok {
			if other == p.flag {
				return nil, fmt.Errorf("%s: two scenarios of one name would both write %s", p.flag, p.path)
			}
			return nil, fmt.Errorf("%s and %s both name %s: give each its own file", other, p.flag, p.path)
		}
		seen[key] = p.flag
	}
	var out []*output
	for _, p := range paths {
		f, err := os.Create(p.path)
		if err != nil {
			for _, o := range out {
				o.f.Close()
				os.Remove(o.path)
			}
			return nil, fmt.Errorf("%s: %w", p.flag, err)
		}
		out = append(out, &output{path: p.path, f: f})
	}
	return out, nil
}

// outPaths returns the files flag (with its value path) names for scenarios of the
// given names: path itself for one scenario, or NAME+ext in the directory path names.
func outPaths(flag, path, ext string, names []string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	dir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		dir = true
	}
	if !dir && len(names) > 1 {
		if filepath.Ext(path) != "" {
			return nil, fmt.Errorf("--%s %s: %d scenarios write a %s file each: name a directory for them (as --%s %s/)",
				flag, path, len(names), ext, flag, strings.TrimSuffix(path, filepath.Ext(path)))
		}
		dir = true
	}
	if !dir {
		return []string{path}, nil
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(path, n+ext)
	}
	return out, nil
}
