package kubelog

import (
	"bufio"
	"bytes"
	"testing"
)

func BenchmarkStageReadSlice(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		br := bufio.NewReaderSize(bytes.NewReader(data), MaxLineBytes)
		for {
			_, err := br.ReadSlice('\n')
			if err != nil {
				break
			}
		}
	}
}

func BenchmarkStageFrame(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		br := bufio.NewReaderSize(bytes.NewReader(data), MaxLineBytes)
		n := 0
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				break
			}
			var f frame
			if splitFrame(l[:len(l)-1], &f) && mayMatch(f.msg) {
				n++
			}
		}
	}
}

// BenchmarkRecognisedLines parses only lines the reader recognises: the slow path.
func BenchmarkRecognisedLines(b *testing.B) {
	data := benchData(b)
	var lines [][]byte
	for l := range bytes.Lines(data) {
		if len(lines) < 20000 && len(parseLine(l[:len(l)-1], opts2026, nil)) > 0 {
			lines = append(lines, l[:len(l)-1])
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		parseLine(lines[i%len(lines)], opts2026, nil)
	}
}
