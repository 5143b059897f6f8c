// Package fuzz_test checks the Kubernetes manifest of a fuzz campaign (job.yaml) against
// the Kubernetes API types, strictly, and runs the arguments it gives miniraft through
// miniraft's own command line, as a pod of the Job would.
package fuzz_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/cmd/miniraft/cli"
)

// manifest reads job.yaml's two documents, rejecting any field the API types lack.
func manifest(t *testing.T) (*corev1.PersistentVolumeClaim, *batchv1.Job) {
	t.Helper()
	b, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1)
	if len(docs) != 2 {
		t.Fatalf("job.yaml has %d documents, want 2 (the volume claim, the Job)", len(docs))
	}
	pvc, job := &corev1.PersistentVolumeClaim{}, &batchv1.Job{}
	if err := yaml.UnmarshalStrict([]byte(docs[0]), pvc); err != nil {
		t.Fatalf("the volume claim: %v", err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), job); err != nil {
		t.Fatalf("the Job: %v", err)
	}
	if pvc.Kind != "PersistentVolumeClaim" || job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Fatalf("kinds %s and %s %s, want PersistentVolumeClaim and batch/v1 Job", pvc.Kind, job.APIVersion, job.Kind)
	}
	return pvc, job
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestJobIsAnIndexedCampaign(t *testing.T) {
	pvc, job := manifest(t)
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed: the index is the shard", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Parallelism > *spec.Completions {
		t.Fatalf("completions %v, parallelism %v: want both, parallelism at most completions", spec.Completions, spec.Parallelism)
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q, want Never (backoffLimitPerIndex needs it)", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if got, want := env(c, "MINIRAFT_SHARDS"), itoa(*spec.Completions); got != want {
		t.Errorf("MINIRAFT_SHARDS is %q but completions is %s: the shards would not cover the seeds once", got, want)
	}
	if !slices.Contains(c.Args, "--shard=auto") {
		t.Errorf("args %q lack --shard=auto", c.Args)
	}

	// Exit code 1 (a violation found) fails the index without a retry, 2 (bad usage)
	// the whole Job; both name this container.
	if spec.PodFailurePolicy == nil || spec.BackoffLimitPerIndex == nil {
		t.Fatal("no podFailurePolicy or backoffLimitPerIndex")
	}
	actions := map[int32]batchv1.PodFailurePolicyAction{}
	for _, r := range spec.PodFailurePolicy.Rules {
		if r.OnExitCodes == nil {
			continue
		}
		if r.OnExitCodes.ContainerName == nil || *r.OnExitCodes.ContainerName != c.Name {
			t.Errorf("rule %s names container %v, want %q", r.Action, r.OnExitCodes.ContainerName, c.Name)
		}
		for _, v := range r.OnExitCodes.Values {
			actions[v] = r.Action
		}
	}
	if actions[1] != batchv1.PodFailurePolicyActionFailIndex || actions[2] != batchv1.PodFailurePolicyActionFailJob {
		t.Errorf("exit code 1 -> %q, 2 -> %q; want FailIndex and FailJob", actions[1], actions[2])
	}

	// Each shard writes to its own directory of the claimed volume.
	out := flagValue(c.Args, "--out")
	if !strings.Contains(out, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("--out %q does not separate the shards by $(JOB_COMPLETION_INDEX)", out)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].PersistentVolumeClaim == nil || pod.Volumes[0].PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Fatalf("volumes %+v, want the claim %q", pod.Volumes, pvc.Name)
	}
	if len(c.VolumeMounts) != 1 || !strings.HasPrefix(out, c.VolumeMounts[0].MountPath+"/") {
		t.Errorf("--out %q is not under the volume's mount %+v", out, c.VolumeMounts)
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("the claim's access modes %v lack ReadWriteMany: every shard writes at once", pvc.Spec.AccessModes)
	}
}

// TestJobArgsRunMiniraft runs two pods' worth of the Job's arguments through miniraft's
// command line, with Kubernetes' expansion of $(JOB_COMPLETION_INDEX) and a short
// budget, then merges their directories as the manifest's comment says to.
func TestJobArgsRunMiniraft(t *testing.T) {
	_, job := manifest(t)
	c := job.Spec.Template.Spec.Containers[0]
	root := t.TempDir()
	mount := c.VolumeMounts[0].MountPath
	var dirs []string
	for i, idx := range []string{"0", "1"} {
		t.Setenv("JOB_COMPLETION_INDEX", idx)
		t.Setenv("MINIRAFT_SHARDS", env(c, "MINIRAFT_SHARDS"))
		var args []string
		for _, a := range c.Args {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", idx)
			a = strings.Replace(a, "="+mount+"/", "="+root+"/", 1)
			args = append(args, a)
		}
		// A test's budget: a few short runs instead of an hour.
		args = append(args, "--runs=16", "--duration=2s", "--peers=3")
		var stdout, stderr bytes.Buffer
		if code := cli.Run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("pod %d: miniraft %q: exit %d\n%s%s", i, args, code, stdout.String(), stderr.String())
		}
		dir := flagValue(args, "--out")
		if _, err := fuzz.ReadRecord(dir); err != nil {
			t.Fatalf("pod %d left no record: %v", i, err)
		}
		dirs = append(dirs, dir)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Run(append([]string{"fuzz", "merge"}, dirs...), &stdout, &stderr); code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "shards 0/8 1/8") || !strings.Contains(stdout.String(), "no record of shards 2/8") {
		t.Errorf("merge of two of eight shards:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(root, "shard-1", fuzz.RecordFile)); err != nil {
		t.Errorf("shard 1's directory: %v", err)
	}
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
