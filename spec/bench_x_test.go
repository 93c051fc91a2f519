package spec

import ("os"; "testing")

func BenchmarkParseEveryFeature(b *testing.B) {
	data := mustRead("testdata/every-feature.json")
	for b.Loop() {
		if _, err := Parse(data, FormatJSON); err != nil {
			b.Fatal(err)
		}
	}
}
func mustRead(p string) []byte { d, _ := os.ReadFile(p); return d }
