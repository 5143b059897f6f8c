package scenario

import (
	"slices"
	"strings"
)

// Completion is what may come next at the end of a partly typed command line.
type Completion struct {
	// Start is the byte offset in the line of the word being completed: where a chosen
	// word replaces the rest of the line. At the end of the line when a new word starts.
	Start int
	// Prefix is what is typed of the word so far (line[Start:]).
	Prefix string
	// Words are the words that may stand there and start with Prefix, in the grammar's
	// order, without repeats. Words ending in "=" take a value.
	Words []string
	// Want says what belongs there when it is not a word from a list ("a duration"),
	// or is "".
	Want string
}

// Complete says what may follow a partly typed command line of the command bar (a
// command, as ParseCommand reads it), for a cluster of peers peers (0: any size up to
// MaxPeers). It runs the parser itself over the line, so it offers exactly what the
// parser would accept there: command names, selectors and peer ids, keywords (within,
// for, ->), condition words, workload keys. It offers nothing after a word the parser
// rejects.
func Complete(line string, peers int) Completion {
	toks := lex(line)
	// The word being completed is the last token if nothing separates it from the end
	// of the line (and no comment follows it). Punctuation is a whole word, except "-",
	// which may be the start of "->".
	if n := len(toks); n > 0 && toks[n-1].end()-1 == len(line) {
		last := toks[n-1]
		switch c := complete(toks[:n-1], peers, last.col-1, last.text); last.text {
		case "|", ",", "->":
		case "-":
			if slices.Contains(c.Words, "->") {
				c.Words = []string{"->"}
				return c
			}
		default:
			return c
		}
	}
	return complete(toks, peers, len(line), "")
}

// complete offers what may stand after toks, starting with prefix, at byte offset start.
func complete(toks []token, peers, start int, prefix string) Completion {
	c := Completion{Start: start, Prefix: prefix}
	p := &parser{toks: toks, peers: peers, completing: true, stop: len(toks)}
	_ = p.run(func() { p.parseCommand(); p.done() })
	for _, w := range p.cands {
		if strings.HasPrefix(w, prefix) && !slices.Contains(c.Words, w) {
			c.Words = append(c.Words, w)
		}
	}
	c.Want = p.want
	return c
}
