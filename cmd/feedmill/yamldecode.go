package main

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeYAML fills v (a pointer to a struct) from the YAML document root,
// strictly: every key must be a field's `yaml` tag, every value of the
// field's kind. Unlike yaml.v3's own decoder, each mistake is reported with
// its key path and line (`fetch.every (line 7): ...`), all of them at once,
// and lines records the line of every key path for later checks.
//
// Field kinds: string, bool, int, Duration, ByteSize, []string, structs,
// pointers to structs, slices of structs and maps with string keys, the
// shapes the config file uses. Every string value has its ${NAME}
// references to environment variables replaced (see expandEnv).
func decodeYAML(root *yaml.Node, v any, lines map[string]int) []error {
	d := &yamlDecoder{lines: lines}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	d.value(root, reflect.ValueOf(v).Elem(), "")
	return d.errs
}

type yamlDecoder struct {
	errs  []error
	lines map[string]int
}

func (d *yamlDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	name := path
	if name == "" {
		name = "config"
	}
	d.errs = append(d.errs, fmt.Errorf("%s (line %d): %s", name, n.Line, fmt.Sprintf(format, args...)))
}

var (
	durationType = reflect.TypeFor[Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

func (d *yamlDecoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with no value keeps the default
	}
	switch {
	case v.Type() == durationType:
		if !d.scalar(n, path, "a duration such as 30m or 1h30m") {
			return
		}
		dur, err := parseDuration(n.Value)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(Duration(dur)))
	case v.Type() == byteSizeType:
		if !d.scalar(n, path, "a size such as 10MiB or 512KB") {
			return
		}
		size, err := parseByteSize(n.Value)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(ByteSize(size)))
	case v.Kind() == reflect.String:
		d.stringValue(n, v, path)
	case v.Kind() == reflect.Bool:
		if !d.scalar(n, path, "true or false") {
			return
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			d.fail(n, path, "want true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		if !d.scalar(n, path, "a whole number") {
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			d.fail(n, path, "want a whole number, got %q", n.Value)
			return
		}
		v.SetInt(int64(i))
	case v.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list ([a, b] or one '- item' per line)")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.value(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		d.stringMap(n, v, path)
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
		p := reflect.New(v.Type().Elem())
		d.mapping(n, p.Elem(), path)
		v.Set(p)
	default:
		d.fail(n, path, "internal: cannot decode into %s", v.Type())
	}
}

// stringValue sets a string with its ${NAME} references expanded.
func (d *yamlDecoder) stringValue(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a string") {
		return
	}
	str, err := expandEnv(n.Value)
	if err != nil {
		d.fail(n, path, "%v", err)
		return
	}
	v.SetString(str)
}

func (d *yamlDecoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want %s", want)
		return false
	}
	return true
}

func (d *yamlDecoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys to values")
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		idx, ok := fields[key]
		if !ok {
			d.fail(k, sub, "unknown key (known here: %s)", strings.Join(known, ", "))
			continue
		}
		if seen[key] {
			d.fail(k, sub, "key given twice")
			continue
		}
		seen[key] = true
		d.value(val, v.Field(idx), sub)
	}
}

// stringMap decodes a mapping into a map with string keys (header names
// to values, say); a key given twice is an error.
func (d *yamlDecoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys to values")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := path + "." + k.Value
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "want a plain key")
			continue
		}
		key := reflect.ValueOf(k.Value).Convert(v.Type().Key())
		if m.MapIndex(key).IsValid() {
			d.fail(k, sub, "key given twice")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, elem, sub)
		m.SetMapIndex(key, elem)
	}
	v.Set(m)
}

// expandEnv replaces each ${NAME} in s with the environment variable
// NAME; an unset one is an error. ${NAME:-DEFAULT} stands for DEFAULT
// when NAME is unset or empty. $${ stands for a literal ${, and a $
// not followed by {NAME} stays as it is (regular expressions keep their
// anchors).
func expandEnv(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			// "$${" is a literal "${": s[:i] ends with its first $.
			b.WriteString(s[:i])
			b.WriteString("{")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		name := ""
		if end > 0 {
			name = s[i+2 : i+end]
		}
		name, def, hasDef := strings.Cut(name, ":-")
		if !envName.MatchString(name) {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		val, ok := os.LookupEnv(name)
		switch {
		case hasDef && val == "":
			val = def
		case !ok:
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Duration is a time.Duration written as "30m", "1h30m" or "7d" in the
// config file.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d the way the config file takes it.
func (d Duration) String() string { return time.Duration(d).String() }

// parseDuration is time.ParseDuration plus a "d" (24h) unit, for the long
// intervals and ages a feed daemon is configured with.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q (want e.g. 30m, 1h30m, 7d)", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur < 0 {
		return 0, fmt.Errorf("bad duration %q (want e.g. 30m, 1h30m, 7d)", s)
	}
	return dur, nil
}

// ByteSize is a number of bytes written as "10MiB", "512KB" or "1048576".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

func parseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	num := s
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			mult, num = u.mult, strings.TrimSpace(rest)
			break
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("bad size %q (want e.g. 10MiB, 512KB)", s)
	}
	return int64(n * float64(mult)), nil
}
