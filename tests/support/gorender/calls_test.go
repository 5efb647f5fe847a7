package main

// What one action of each kind costs in Go's text/template, per message of a 1,000-message
// range: the figures behind the stripping design of converted templates (docs/benchmarks.md,
// "Converted templates in Go"). Run: `go test -bench . -cpu 1` in this folder.

import (
	"io"
	"strings"
	"testing"
	"text/template"
)

// benchAction renders body once per element of a 1,000-string slice, each string a
// 520-byte content, with `$c` bound to it.
func benchAction(b *testing.B, body string) {
	src := `{{ define "empty" }}{{ end }}` +
		`{{ define "vars" }}{{ $s := . }}{{ $rest := "" }}{{ $more := false }}{{ end }}` +
		`{{ range $i, $c := . }}` + body + `{{ end }}`
	t := template.Must(template.New("t").Parse(src))
	content := strings.Repeat("Line 1: the quick brown fox jumps over the lazy dog — ünïcödé ok.\n", 8)
	data := make([]string, 1000)
	for i := range data {
		data[i] = content
	}
	b.ResetTimer()
	for range b.N {
		if err := t.Execute(io.Discard, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNothing(b *testing.B)       { benchAction(b, ``) }
func BenchmarkLiteralText(b *testing.B)   { benchAction(b, "<start_of_turn>user\n") }
func BenchmarkStringAction(b *testing.B)  { benchAction(b, `{{ "<start_of_turn>user\n" }}`) }
func BenchmarkWriteVariable(b *testing.B) { benchAction(b, `{{ $c }}`) }
func BenchmarkDeclare(b *testing.B)       { benchAction(b, `{{ $x := $c }}`) }
func BenchmarkIfVariable(b *testing.B)    { benchAction(b, `{{ if $c }}{{ end }}`) }
func BenchmarkTemplateCall(b *testing.B)  { benchAction(b, `{{ template "empty" $c }}`) }
func BenchmarkStepVariables(b *testing.B) { benchAction(b, `{{ template "vars" $c }}`) }
func BenchmarkLen(b *testing.B)           { benchAction(b, `{{ $x := len $c }}`) }
func BenchmarkSlice(b *testing.B)         { benchAction(b, `{{ $x := slice $c 1 2 }}`) }
func BenchmarkPrint(b *testing.B)         { benchAction(b, `{{ $x := print "x" $c }}`) }
func BenchmarkEqOne(b *testing.B)         { benchAction(b, `{{ if eq $c "a" }}{{ end }}`) }
func BenchmarkEqSix(b *testing.B) {
	benchAction(b, `{{ if eq $c " " "\t" "\n" "\v" "\f" "\r" }}{{ end }}`)
}
func BenchmarkFirstByteTest(b *testing.B) { benchAction(b, `{{ if ge $c "!" }}{{ end }}`) }
func BenchmarkLastByteTest(b *testing.B) {
	benchAction(b, `{{ if lt " " (slice (print "x" $c) (len $c)) }}{{ end }}`)
}
func BenchmarkHandWrittenLast(b *testing.B) { benchAction(b, `{{ $last := eq (len (slice $ $i)) 1 }}`) }
