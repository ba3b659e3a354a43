package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		code, out, errOut := runCLI(t, "completion", shell)
		if code != exitOK {
			t.Fatalf("completion %s: exit %d %s", shell, code, errOut)
		}
		for _, c := range commands() {
			if !strings.Contains(out, c.name) {
				t.Errorf("%s completion lacks command %s", shell, c.name)
			}
		}
	}
	if code, _, _ := runCLI(t, "completion", "fish"); code != exitUsage {
		t.Errorf("completion fish: exit %d, want %d", code, exitUsage)
	}

	// bash accepts the script and completes with it.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	_, script, _ := runCLI(t, "completion", "bash")
	path := filepath.Join(t.TempDir(), "feedmill.bash")
	os.WriteFile(path, []byte(script), 0o644)
	probe := `source "$1"; COMP_WORDS=(feedmill so); COMP_CWORD=1; _feedmill; echo "${COMPREPLY[@]}";` +
		`COMP_WORDS=(feedmill render --o); COMP_CWORD=2; _feedmill; echo "${COMPREPLY[@]}"`
	out, err := exec.Command(bash, "-c", probe, "bash", path).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != "sources" || !strings.Contains(lines[1], "--out") {
		t.Errorf("completions %q, want [sources, --out]", lines)
	}
}

// TestCompletionFlagsExist keeps the completion's flags and every
// command's --help in step.
func TestCompletionFlagsExist(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := runCLI(t, c.name, "--help")
		if code != exitOK || !strings.Contains(out+errOut, "usage: feedmill "+c.name) {
			t.Errorf("%s --help: exit %d\n%s%s", c.name, code, out, errOut)
		}
		for _, f := range commandFlags[c.name] {
			if !strings.Contains(errOut, "  -"+strings.TrimLeft(f, "-")) {
				t.Errorf("%s --help does not list %s:\n%s", c.name, f, errOut)
			}
		}
	}
}
