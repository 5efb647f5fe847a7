// Command gorender renders chat requests through Go templates with Go's own text/template,
// applying Ollama's rendering rules, so the tests can compare the Rust interpreter against the
// real engine. Standard library only; the data types below mirror the shape of Ollama's API
// types (for decoding the request) and of the copies current Ollama's template package makes
// for templates (`convertMessagesForTemplate`: plain maps for arguments and properties, JSON
// String methods), written for this test rather than copied.
//
// Input (stdin): {"date":"YYYY-MM-DD","templates":[src...],"requests":[ChatRequest...],
// "plain":[{"template":src,"data":any,"missing_zero":bool}...],"repeat":N}.
// Output (stdout): {"ollama":[[result per request] per template],"plain":[result...],
// "tags":[tool-call tag per template],"nanos":[[ns per request] per template]}, where a result
// is {"ok":"..."} or {"err":"..."}. With "repeat" above 1 each request is rendered that many
// times on one processor, in batches of timingBatch, and "nanos" holds the CPU time of one
// render in the fastest batch (template parsing included, as Ollama parses the template on
// each chat request; other programs' load does not count, the garbage collection the renders
// cause does); otherwise "nanos" holds the one render's wall time.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/template"
	"text/template/parse"
	"time"
)

// ---- Data shaped like Ollama's API types ----

type ImageData []byte

type Message struct {
	Role       string      `json:"role"`
	Content    string      `json:"content"`
	Thinking   string      `json:"thinking,omitempty"`
	Images     []ImageData `json:"images,omitempty"`
	ToolCalls  []ToolCall  `json:"tool_calls,omitempty"`
	ToolName   string      `json:"tool_name,omitempty"`
	ToolCallID string      `json:"tool_call_id,omitempty"`
}

// UnmarshalJSON lowercases the role, as Ollama's message decoding does.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = Message(p)
	m.Role = strings.ToLower(m.Role)
	return nil
}

type ToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function ToolCallFunction `json:"function"`
}

type ToolCallFunction struct {
	Index     int                       `json:"index"`
	Name      string                    `json:"name"`
	Arguments ToolCallFunctionArguments `json:"arguments"`
}

// orderedAny keeps an object's keys in the order the client sent them; values decode as any.
type orderedAny struct {
	keys []string
	vals map[string]any
}

func decodeOrdered(data []byte, each func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := each(kt.(string), raw); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

func marshalOrdered[V any](keys []string, vals map[string]V) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type ToolCallFunctionArguments struct {
	om *orderedAny
}

func (t *ToolCallFunctionArguments) UnmarshalJSON(data []byte) error {
	t.om = &orderedAny{vals: map[string]any{}}
	return decodeOrdered(data, func(k string, raw json.RawMessage) error {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if _, seen := t.om.vals[k]; !seen {
			t.om.keys = append(t.om.keys, k)
		}
		t.om.vals[k] = v
		return nil
	})
}

func (t ToolCallFunctionArguments) MarshalJSON() ([]byte, error) {
	if t.om == nil {
		return []byte("{}"), nil
	}
	return marshalOrdered(t.om.keys, t.om.vals)
}

type Tools []Tool

type Tool struct {
	Type     string       `json:"type"`
	Items    any          `json:"items,omitempty"`
	Function ToolFunction `json:"function"`
}

type ToolFunction struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description,omitempty"`
	Parameters  ToolFunctionParameters `json:"parameters"`
}

type ToolFunctionParameters struct {
	Type       string             `json:"type"`
	Defs       any                `json:"$defs,omitempty"`
	Items      any                `json:"items,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Properties *ToolPropertiesMap `json:"properties"`
}

type ToolPropertiesMap struct {
	keys []string
	vals map[string]ToolProperty
}

func (t *ToolPropertiesMap) UnmarshalJSON(data []byte) error {
	t.vals = map[string]ToolProperty{}
	return decodeOrdered(data, func(k string, raw json.RawMessage) error {
		var p ToolProperty
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		if _, seen := t.vals[k]; !seen {
			t.keys = append(t.keys, k)
		}
		t.vals[k] = p
		return nil
	})
}

func (t ToolPropertiesMap) MarshalJSON() ([]byte, error) {
	if t.vals == nil {
		return []byte("null"), nil
	}
	return marshalOrdered(t.keys, t.vals)
}

type PropertyType []string

func (p *PropertyType) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*p = []string{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	*p = a
	return nil
}

func (p PropertyType) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

type ToolProperty struct {
	AnyOf       []ToolProperty     `json:"anyOf,omitempty"`
	Type        PropertyType       `json:"type,omitempty"`
	Items       any                `json:"items,omitempty"`
	Description string             `json:"description,omitempty"`
	Enum        []any              `json:"enum,omitempty"`
	Properties  *ToolPropertiesMap `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
}

// ---- The copies current Ollama hands its templates (convertMessagesForTemplate,
// convertToolsForTemplate): plain maps with sorted keys where the API types keep the
// client's order, so templates can range over arguments and properties. ----

// templateArgs is a tool call's arguments as templates see them; it prints as its JSON.
type templateArgs map[string]any

func (t templateArgs) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

// templateProperties is a tool's top-level properties as templates see them.
type templateProperties map[string]ToolProperty

func (t templateProperties) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

type templateTools []templateTool

func (t templateTools) String() string {
	b, _ := json.Marshal(t)
	return string(b)
}

type templateTool struct {
	Type     string               `json:"type"`
	Items    any                  `json:"items,omitempty"`
	Function templateToolFunction `json:"function"`
}

type templateToolFunction struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Parameters  templateToolParameters `json:"parameters"`
}

type templateToolParameters struct {
	Type       string             `json:"type"`
	Defs       any                `json:"$defs,omitempty"`
	Items      any                `json:"items,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Properties templateProperties `json:"properties"`
}

// templateMessage and the types below carry no JSON tags, as in Ollama.
type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []ImageData
	ToolCalls  []templateToolCall
	ToolName   string
	ToolCallID string
}

type templateToolCall struct {
	ID       string
	Function templateToolCallFunction
}

type templateToolCallFunction struct {
	Index     int
	Name      string
	Arguments templateArgs
}

func templateMessages(msgs []*Message) []*templateMessage {
	if msgs == nil {
		return nil
	}
	out := make([]*templateMessage, 0, len(msgs))
	for _, m := range msgs {
		var calls []templateToolCall
		for _, c := range m.ToolCalls {
			var args templateArgs
			if c.Function.Arguments.om != nil {
				args = templateArgs(c.Function.Arguments.om.vals)
			}
			calls = append(calls, templateToolCall{
				ID: c.ID,
				Function: templateToolCallFunction{
					Index: c.Function.Index, Name: c.Function.Name, Arguments: args,
				},
			})
		}
		out = append(out, &templateMessage{
			Role: m.Role, Content: m.Content, Thinking: m.Thinking, Images: m.Images,
			ToolCalls: calls, ToolName: m.ToolName, ToolCallID: m.ToolCallID,
		})
	}
	return out
}

func templateToolsOf(tools Tools) templateTools {
	if tools == nil {
		return nil
	}
	out := make(templateTools, 0, len(tools))
	for _, t := range tools {
		p := t.Function.Parameters
		var props templateProperties
		if p.Properties != nil && p.Properties.vals != nil {
			props = templateProperties(p.Properties.vals)
		}
		out = append(out, templateTool{
			Type: t.Type, Items: t.Items,
			Function: templateToolFunction{
				Name: t.Function.Name, Description: t.Function.Description,
				Parameters: templateToolParameters{
					Type: p.Type, Defs: p.Defs, Items: p.Items, Required: p.Required,
					Properties: props,
				},
			},
		})
	}
	return out
}

// ThinkValue is the request's "think": a bool or a level string.
type ThinkValue struct {
	Value any
}

func (t *ThinkValue) UnmarshalJSON(data []byte) error {
	return json.Unmarshal(data, &t.Value)
}

type ChatRequest struct {
	Messages []Message   `json:"messages"`
	Tools    Tools       `json:"tools"`
	Think    *ThinkValue `json:"think"`
}

// ---- Ollama's rendering rules ----

var today, yesterday string

var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"currentDate":   func(args ...string) string { return today },
	"yesterdayDate": func(args ...string) string { return yesterday },
	"toTypeScriptType": func(v any) string {
		// Only a ToolProperty has a TypeScript type. Ranging over a tool's properties reaches
		// one; the Rust engine does not model Ollama's conversion, so a template that relies on
		// it must show up as a mismatch here rather than agree by accident.
		if _, ok := v.(ToolProperty); ok {
			return "unmodelled"
		}
		return "any"
	},
}

type ollamaTemplate struct {
	tmpl *template.Template
	vars map[string]bool
}

func identifiers(n parse.Node, out map[string]bool) error {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := identifiers(c, out); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		if n.Pipe == nil {
			return fmt.Errorf("undefined template specified")
		}
		return identifiers(n.Pipe, out)
	case *parse.ActionNode:
		return identifiers(n.Pipe, out)
	case *parse.IfNode:
		return identifiers(&n.BranchNode, out)
	case *parse.RangeNode:
		return identifiers(&n.BranchNode, out)
	case *parse.WithNode:
		return identifiers(&n.BranchNode, out)
	case *parse.BranchNode:
		if err := identifiers(n.Pipe, out); err != nil {
			return err
		}
		if err := identifiers(n.List, out); err != nil {
			return err
		}
		if n.ElseList != nil {
			return identifiers(n.ElseList, out)
		}
	case *parse.PipeNode:
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				if err := identifiers(a, out); err != nil {
					return err
				}
			}
		}
	case *parse.FieldNode:
		for _, i := range n.Ident {
			out[strings.ToLower(i)] = true
		}
	case *parse.VariableNode:
		for _, i := range n.Ident {
			out[strings.ToLower(i)] = true
		}
	}
	return nil
}

func parseOllama(src string) (*ollamaTemplate, error) {
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, err
	}
	vars := map[string]bool{}
	for _, t := range tmpl.Templates() {
		if t.Tree == nil {
			continue
		}
		if err := identifiers(t.Tree.Root, vars); err != nil {
			return nil, err
		}
	}
	if !vars["messages"] && !vars["response"] {
		tmpl.Tree.Root.Nodes = append(tmpl.Tree.Root.Nodes, &parse.ActionNode{
			NodeType: parse.NodeAction,
			Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{
				NodeType: parse.NodeCommand,
				Args:     []parse.Node{&parse.FieldNode{NodeType: parse.NodeField, Ident: []string{"Response"}}},
			}}},
		})
	}
	return &ollamaTemplate{tmpl: tmpl, vars: vars}, nil
}

// ---- The tool-call tag Ollama reads from a template ----

// toolCallTag is the text Ollama's tool parser waits for before it reads a tool call from the
// model's output, found in the template as its documentation describes: the first {{ if }}
// whose condition names the field .ToolCalls (searched depth first through if, range and
// with bodies and their else branches), then the first text in its body (depth first, giving
// up at the first action), trimmed, CRLF made LF, cut before the first '{'. Empty when there
// is none (Ollama then takes '{' as the tag).
func toolCallTag(t *template.Template) string {
	branch := toolCallsIf(t.Tree.Root.Nodes)
	if branch == nil {
		return ""
	}
	text := leadingText(branch.List.Nodes)
	if text == nil {
		return ""
	}
	tag := strings.TrimSpace(string(text.Text))
	tag = strings.ReplaceAll(tag, "\r\n", "\n")
	tag, _, _ = strings.Cut(tag, "{")
	return tag
}

func namesToolCalls(pipe *parse.PipeNode) bool {
	for _, cmd := range pipe.Cmds {
		for _, arg := range cmd.Args {
			if f, ok := arg.(*parse.FieldNode); ok && slices.Contains(f.Ident, "ToolCalls") {
				return true
			}
		}
	}
	return false
}

func toolCallsIf(nodes []parse.Node) *parse.IfNode {
	for _, node := range nodes {
		var branch *parse.BranchNode
		switch n := node.(type) {
		case *parse.IfNode:
			if namesToolCalls(n.Pipe) {
				return n
			}
			branch = &n.BranchNode
		case *parse.RangeNode:
			branch = &n.BranchNode
		case *parse.WithNode:
			branch = &n.BranchNode
		case *parse.ListNode:
			if found := toolCallsIf(n.Nodes); found != nil {
				return found
			}
			continue
		default:
			continue
		}
		if found := toolCallsIf(branch.List.Nodes); found != nil {
			return found
		}
		if branch.ElseList != nil {
			if found := toolCallsIf(branch.ElseList.Nodes); found != nil {
				return found
			}
		}
	}
	return nil
}

func leadingText(nodes []parse.Node) *parse.TextNode {
	for _, node := range nodes {
		var branch *parse.BranchNode
		switch n := node.(type) {
		case *parse.TextNode:
			return n
		case *parse.ActionNode:
			return nil
		case *parse.ListNode:
			if text := leadingText(n.Nodes); text != nil {
				return text
			}
			continue
		case *parse.IfNode:
			branch = &n.BranchNode
		case *parse.RangeNode:
			branch = &n.BranchNode
		case *parse.WithNode:
			branch = &n.BranchNode
		default:
			continue
		}
		if text := leadingText(branch.List.Nodes); text != nil {
			return text
		}
		if branch.ElseList != nil {
			if text := leadingText(branch.ElseList.Nodes); text != nil {
				return text
			}
		}
		return nil
	}
	return nil
}

func collate(msgs []Message) (string, []*Message) {
	var system []string
	var out []*Message
	for i := range msgs {
		m := &msgs[i]
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role && m.Role != "tool" {
			out[n-1].Content += "\n\n" + m.Content
		} else {
			out = append(out, m)
		}
	}
	return strings.Join(system, "\n\n"), out
}

// errElseAfterCut stands for the crash of Ollama's rewrite when the cut falls in a block that
// has an else branch.
var errElseAfterCut = fmt.Errorf("response inside a block with else")

// cutAfterResponse deletes every node after the first field naming Response, the way
// Ollama's legacy rendering trims the last turn.
func cutAfterResponse(root *parse.ListNode) (*parse.ListNode, error) {
	cut := false
	var walkList func(l *parse.ListNode) error
	var walkPipe func(p *parse.PipeNode) *parse.PipeNode
	walkArg := func(a parse.Node) parse.Node {
		if cut {
			return nil
		}
		switch a := a.(type) {
		case *parse.FieldNode:
			if slices.Contains(a.Ident, "Response") {
				cut = true
			}
			return a
		case *parse.PipeNode:
			if p := walkPipe(a); p != nil {
				return p
			}
			return nil
		}
		return a
	}
	walkPipe = func(p *parse.PipeNode) *parse.PipeNode {
		var cmds []*parse.CommandNode
		for _, c := range p.Cmds {
			var args []parse.Node
			for _, a := range c.Args {
				if n := walkArg(a); n != nil {
					args = append(args, n)
				}
			}
			if len(args) == 0 {
				return nil
			}
			c.Args = args
			cmds = append(cmds, c)
		}
		if len(cmds) == 0 {
			return nil
		}
		p.Cmds = cmds
		return p
	}
	walkBranch := func(b *parse.BranchNode) error {
		if err := walkList(b.List); err != nil {
			return err
		}
		if b.ElseList != nil {
			if cut {
				return errElseAfterCut
			}
			return walkList(b.ElseList)
		}
		return nil
	}
	walkList = func(l *parse.ListNode) error {
		var nodes []parse.Node
		for _, n := range l.Nodes {
			if cut {
				continue
			}
			switch n := n.(type) {
			case *parse.ActionNode:
				if p := walkPipe(n.Pipe); p != nil {
					n.Pipe = p
					nodes = append(nodes, n)
				}
				continue
			case *parse.IfNode:
				if err := walkBranch(&n.BranchNode); err != nil {
					return err
				}
			case *parse.RangeNode:
				if err := walkBranch(&n.BranchNode); err != nil {
					return err
				}
			case *parse.WithNode:
				if err := walkBranch(&n.BranchNode); err != nil {
					return err
				}
			}
			nodes = append(nodes, n)
		}
		l.Nodes = nodes
		return nil
	}
	copied := root.CopyList()
	if err := walkList(copied); err != nil {
		return nil, err
	}
	return copied, nil
}

func thinkFlags(t *ThinkValue) (bool, string, bool) {
	if t == nil || t.Value == nil {
		return false, "", false
	}
	switch v := t.Value.(type) {
	case bool:
		if v {
			return true, "medium", true
		}
		return false, "", true
	case string:
		return true, v, true
	}
	return false, "", true
}

func (o *ollamaTemplate) render(req ChatRequest) (string, error) {
	system, msgs := collate(req.Messages)
	think, level, isSet := thinkFlags(req.Think)
	var b bytes.Buffer
	if o.vars["messages"] {
		err := o.tmpl.Execute(&b, map[string]any{
			"System": system, "Messages": templateMessages(msgs),
			"Tools": templateToolsOf(req.Tools), "Response": "",
			"Think": think, "ThinkLevel": level, "IsThinkSet": isSet,
		})
		return b.String(), err
	}
	var sys, prompt, response string
	turn := func(t *template.Template) error {
		return t.Execute(&b, map[string]any{
			"System": sys, "Prompt": prompt, "Response": response,
			"Think": think, "ThinkLevel": level, "IsThinkSet": isSet,
		})
	}
	for _, m := range msgs {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := turn(o.tmpl); err != nil {
					return "", err
				}
				prompt, response = "", ""
			}
			sys = m.Content
		case "user":
			if response != "" {
				if err := turn(o.tmpl); err != nil {
					return "", err
				}
				sys, response = "", ""
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	root, err := cutAfterResponse(o.tmpl.Tree.Root)
	if err != nil {
		return "", err
	}
	last, err := template.New("").AddParseTree("", &parse.Tree{Root: root})
	if err != nil {
		return "", err
	}
	if err := turn(last); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ---- Batch driver ----

type result struct {
	Ok  *string `json:"ok,omitempty"`
	Err *string `json:"err,omitempty"`
}

func toResult(s string, err error) result {
	if err != nil {
		e := err.Error()
		return result{Err: &e}
	}
	return result{Ok: &s}
}

type plainCase struct {
	Template    string          `json:"template"`
	Data        json.RawMessage `json:"data"`
	MissingZero bool            `json:"missing_zero"`
}

type batch struct {
	Date      string            `json:"date"`
	Templates []string          `json:"templates"`
	Requests  []json.RawMessage `json:"requests"`
	Plain     []plainCase       `json:"plain"`
	Repeat    int               `json:"repeat"`
}

// timingBatch renders are timed together, so the garbage collections they cause are shared
// out among them instead of landing on whichever render triggers one.
const timingBatch = 5

// cpuNanos is the CPU time this process has used so far, user and system.
func cpuNanos() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		os.Exit(2)
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

// safely turns a panic in the engine into an error result.
func safely(f func() (string, error)) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var b batch
	if err := json.Unmarshal(in, &b); err != nil {
		fmt.Fprintln(os.Stderr, "bad batch:", err)
		os.Exit(2)
	}
	d, err := time.Parse("2006-01-02", b.Date)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad date:", err)
		os.Exit(2)
	}
	today = d.Format("2006-01-02")
	yesterday = d.AddDate(0, 0, -1).Format("2006-01-02")

	out := struct {
		Ollama [][]result `json:"ollama"`
		Plain  []result   `json:"plain"`
		Tags   []string   `json:"tags"`
		Nanos  [][]int64  `json:"nanos"`
	}{Ollama: [][]result{}, Plain: []result{}, Tags: []string{}, Nanos: [][]int64{}}
	repeat := max(b.Repeat, 1)
	clock := func() int64 { return time.Now().UnixNano() }
	if repeat > 1 {
		// Timing runs: the garbage collector shares the one processor, so its work counts
		// against the template that caused it, and CPU time leaves out other programs.
		runtime.GOMAXPROCS(1)
		clock = cpuNanos
	}
	for _, src := range b.Templates {
		tag := ""
		if t, err := parseOllama(src); err == nil {
			tag = toolCallTag(t.tmpl)
		}
		out.Tags = append(out.Tags, tag)
		out.Ollama = append(out.Ollama, make([]result, len(b.Requests)))
		out.Nanos = append(out.Nanos, make([]int64, len(b.Requests)))
	}
	// Timing runs go round by round over every template and request, so a slow spell of the
	// machine slows one batch of each instead of all batches of one.
	for done := 0; done < repeat; done += timingBatch {
		size := min(timingBatch, repeat-done)
		for n, src := range b.Templates {
			for r, raw := range b.Requests {
				// Each render gets fresh data: collate mutates the messages.
				reqs := make([]ChatRequest, size)
				for i := range reqs {
					if err := json.Unmarshal(raw, &reqs[i]); err != nil {
						fmt.Fprintln(os.Stderr, "bad request:", err)
						os.Exit(2)
					}
				}
				start := clock()
				for _, req := range reqs {
					out.Ollama[n][r] = toResult(safely(func() (string, error) {
						t, err := parseOllama(src)
						if err != nil {
							return "", err
						}
						return t.render(req)
					}))
				}
				took := (clock() - start) / int64(size)
				if done == 0 || took < out.Nanos[n][r] {
					out.Nanos[n][r] = took
				}
			}
		}
	}
	for _, c := range b.Plain {
		out.Plain = append(out.Plain, toResult(safely(func() (string, error) {
			t := template.New("").Funcs(funcs)
			if c.MissingZero {
				t = t.Option("missingkey=zero")
			}
			t, err := t.Parse(c.Template)
			if err != nil {
				return "", err
			}
			var data any
			if err := json.Unmarshal(c.Data, &data); err != nil {
				return "", err
			}
			var w bytes.Buffer
			err = t.Execute(&w, data)
			return w.String(), err
		})))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
