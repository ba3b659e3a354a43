package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// benchResult is one line of `go test -bench` output: the benchmark's
// name without the -GOMAXPROCS suffix, its iterations and every
// "value unit" pair (ns/op, B/op, allocs/op and b.ReportMetric units).
type benchResult struct {
	Name    string
	Iter    int
	Metrics map[string]float64
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchLine reads a standard benchmark result line; ok is false for
// any other line.
func parseBenchLine(line string) (benchResult, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return benchResult{}, false
	}
	iter, err := strconv.Atoi(f[1])
	if err != nil {
		return benchResult{}, false
	}
	r := benchResult{Name: procsSuffix.ReplaceAllString(f[0], ""), Iter: iter, Metrics: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchResult{}, false
		}
		r.Metrics[f[i+1]] = v
	}
	return r, true
}

// benchSet holds every result seen, by name, in the order they came (a
// benchmark run in several rounds has one each).
type benchSet map[string][]benchResult

// find returns the last result named name, else the last of the first
// name that matches the regular expression pattern.
func (s benchSet) find(pattern string) (benchResult, bool) {
	rs := s.all(pattern)
	if len(rs) == 0 {
		return benchResult{}, false
	}
	return rs[len(rs)-1], true
}

// all returns every result named name, else every result of the first
// name that matches the regular expression pattern.
func (s benchSet) all(pattern string) []benchResult {
	if rs, ok := s[pattern]; ok {
		return rs
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil
	}
	best := ""
	for name := range s {
		if re.MatchString(name) && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return nil
	}
	return s[best]
}

// counts returns how many results each of names has.
func (s benchSet) counts(names []string) map[string]int {
	c := make(map[string]int, len(names))
	for _, n := range names {
		c[n] = len(s[n])
	}
	return c
}

// keepRound keeps the results added to the names of before since counts
// gave before only if every name in need got one; otherwise it drops
// them all and reports false. A round of a benchmark whose sides are
// compared is then either whole or absent.
func (s benchSet) keepRound(before map[string]int, need ...string) bool {
	for _, n := range need {
		if len(s[n]) == before[n] {
			for name, k := range before {
				s[name] = s[name][:k]
			}
			return false
		}
	}
	return true
}

// runGoBench runs `go test -run ^$ -bench pattern -benchmem` on pkgs,
// echoes its output to log and adds the results to s. A package whose
// benchmarks fail still gives the results it printed; the error says
// what failed.
func (s benchSet) runGoBench(ctx context.Context, log io.Writer, pattern, benchtime string, pkgs ...string) error {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count=1", "-timeout", "20m"}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	args = append(args, pkgs...)
	fmt.Fprintf(log, "$ go %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, line)
		if r, ok := parseBenchLine(line); ok {
			s[r.Name] = append(s[r.Name], r)
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("go test -bench %s: %w", pattern, err)
	}
	return nil
}
