package audit

import "strings"

// token is a shell word (quotes removed) or an operator: && || ; | & ( ) and newline.
type token struct {
	text string
	op   bool
}

// tokenize splits a shell script into words and operators. It removes quotes and backslash
// escapes, keeps $(...) and `...` as part of their word, drops comments and redirections.
func tokenize(s string) []token {
	l := lexer{s: s}
	for l.i < len(l.s) {
		l.step()
	}
	l.flush()
	return l.toks
}

type lexer struct {
	s      string
	i      int
	cur    strings.Builder
	inWord bool
	toks   []token
	// dropNext drops the next word (the target of a redirection).
	dropNext bool
}

func (l *lexer) flush() {
	if !l.inWord {
		return
	}
	if !l.dropNext {
		l.toks = append(l.toks, token{text: l.cur.String()})
	}
	l.dropNext = false
	l.cur.Reset()
	l.inWord = false
}

func (l *lexer) emitOp(op string) {
	l.flush()
	l.toks = append(l.toks, token{text: op, op: true})
	l.dropNext = false
}

func (l *lexer) word(s string) {
	l.cur.WriteString(s)
	l.inWord = true
}

// step consumes one character (or one quoted or substituted run) of the script.
func (l *lexer) step() {
	c := l.s[l.i]
	switch {
	case c == '\\':
		l.escape()
	case c == '\'':
		j := strings.IndexByte(l.s[l.i+1:], '\'')
		if j < 0 {
			j = len(l.s) - l.i - 1
		}
		l.word(l.s[l.i+1 : l.i+1+j])
		l.i += j + 2
		return
	case c == '"':
		l.doubleQuoted()
		return
	case c == '$' && l.i+1 < len(l.s) && l.s[l.i+1] == '(':
		j := matchClose(l.s, l.i+1, '(', ')')
		l.word(l.s[l.i:j])
		l.i = j
		return
	case c == '`':
		j := strings.IndexByte(l.s[l.i+1:], '`')
		end := len(l.s)
		if j >= 0 {
			end = l.i + j + 2
		}
		l.word(l.s[l.i:end])
		l.i = end
		return
	case c == '#' && !l.inWord:
		j := strings.IndexByte(l.s[l.i:], '\n')
		if j < 0 {
			l.i = len(l.s)
			return
		}
		l.i += j
		return
	case c == ' ' || c == '\t' || c == '\r':
		l.flush()
	case c == '\n' || c == ';' || c == '(' || c == ')':
		l.emitOp(string(c))
	case c == '&' || c == '|':
		l.andOr(c)
		return
	case c == '>' || c == '<':
		l.redirect()
		return
	default:
		l.cur.WriteByte(c)
		l.inWord = true
	}
	l.i++
}

func (l *lexer) escape() {
	if l.i+1 >= len(l.s) {
		return
	}
	if l.s[l.i+1] != '\n' { // backslash-newline continues the line
		l.cur.WriteByte(l.s[l.i+1])
		l.inWord = true
	}
	l.i++
}

func (l *lexer) doubleQuoted() {
	l.inWord = true
	i := l.i + 1
	for i < len(l.s) && l.s[i] != '"' {
		if l.s[i] == '\\' && i+1 < len(l.s) && strings.IndexByte("\"\\$`", l.s[i+1]) >= 0 {
			i++
		} else if l.s[i] == '$' && i+1 < len(l.s) && l.s[i+1] == '(' {
			j := matchClose(l.s, i+1, '(', ')')
			l.cur.WriteString(l.s[i:j])
			i = j
			continue
		}
		l.cur.WriteByte(l.s[i])
		i++
	}
	l.i = i + 1
}

func (l *lexer) andOr(c byte) {
	if l.i+1 < len(l.s) && l.s[l.i+1] == c {
		l.emitOp(string([]byte{c, c}))
		l.i += 2
		return
	}
	if c == '&' && l.i > 0 && (l.s[l.i-1] == '>' || l.s[l.i-1] == '<') {
		l.i++ // part of a redirection such as 2>&1, handled by redirect
		return
	}
	l.emitOp(string(c))
	l.i++
}

// redirect drops a redirection: an optional fd number before it, the operator, and its target
// (a word, or &N).
func (l *lexer) redirect() {
	if l.inWord && isDigits(l.cur.String()) {
		l.cur.Reset()
		l.inWord = false
	}
	l.flush()
	for l.i < len(l.s) && (l.s[l.i] == '>' || l.s[l.i] == '<' || l.s[l.i] == '|') {
		l.i++
	}
	if l.i < len(l.s) && l.s[l.i] == '&' {
		l.i++
		for l.i < len(l.s) && (l.s[l.i] >= '0' && l.s[l.i] <= '9' || l.s[l.i] == '-') {
			l.i++
		}
		return
	}
	l.dropNext = true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// matchClose returns the index just past the bracket closing the one at s[i], counting
// nesting and skipping quoted text; len(s) when unclosed.
func matchClose(s string, i int, open, close byte) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return len(s)
			}
			i += j + 1
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// simpleCmd is one command of a script with what surrounds it.
type simpleCmd struct {
	argv []string
	// pipeFrom is the command piped into this one, if any.
	pipeFrom []string
	// guarded: runs only after a test that looks at ownership (stat, -O, -G, find -user ...).
	guarded bool
}

// splitCommands groups tokens into simple commands. An `if` whose condition tests ownership
// guards its body; in an and-or list (a && b || c) such a test guards what follows it.
func splitCommands(toks []token) []simpleCmd {
	s := splitter{}
	for _, t := range toks {
		if t.op {
			s.end(t.text)
			continue
		}
		if len(s.cur) == 0 && s.keyword(t.text) {
			continue
		}
		s.cur = append(s.cur, t.text)
	}
	s.end(";")
	return s.cmds
}

type splitter struct {
	cmds []simpleCmd
	cur  []string
	// ifs holds, per open if, whether we are in its condition and whether it tests ownership.
	ifs      []ifState
	listTest bool // an ownership test earlier in the current and-or list
	pipeFrom []string
}

type ifState struct {
	inCond    bool
	ownership bool
}

func (s *splitter) keyword(w string) bool {
	switch w {
	case "if", "elif":
		if w == "elif" && len(s.ifs) > 0 {
			s.ifs = s.ifs[:len(s.ifs)-1]
		}
		s.ifs = append(s.ifs, ifState{inCond: true})
	case "then":
		if n := len(s.ifs); n > 0 {
			s.ifs[n-1].inCond = false
		}
	case "fi":
		if n := len(s.ifs); n > 0 {
			s.ifs = s.ifs[:n-1]
		}
	case "else", "do", "done", "!", "{", "}", "while", "until":
	default:
		return false
	}
	return true
}

func (s *splitter) guarded() bool {
	if s.listTest {
		return true
	}
	for _, f := range s.ifs {
		if !f.inCond && f.ownership {
			return true
		}
	}
	return false
}

func (s *splitter) end(op string) {
	if len(s.cur) > 0 {
		c := simpleCmd{argv: s.cur, pipeFrom: s.pipeFrom, guarded: s.guarded()}
		s.cmds = append(s.cmds, c)
		if ownershipTest(s.cur) {
			if n := len(s.ifs); n > 0 && s.ifs[n-1].inCond {
				s.ifs[n-1].ownership = true
			} else {
				s.listTest = true
			}
		}
	}
	s.pipeFrom = nil
	switch op {
	case "|":
		s.pipeFrom = s.cur
	case "&&", "||":
	default:
		s.listTest = false
	}
	s.cur = nil
}

// ownershipTest reports whether a command tests ownership or mode: a test ([, [[, test) of
// stat output or with -O/-G, or a stat/find that selects by owner.
func ownershipTest(argv []string) bool {
	switch argv[0] {
	case "[", "[[", "test":
	default:
		return false
	}
	for _, a := range argv[1:] {
		if a == "-O" || a == "-G" || strings.Contains(a, "stat ") ||
			strings.Contains(a, "-user") || strings.Contains(a, "-group") {
			return true
		}
	}
	return false
}
