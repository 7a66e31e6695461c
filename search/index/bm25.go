package index

import "math"

// BM25 parameters shared by every provider and package search, so that a
// provider choosing the best documents and the caller ranking them agree.
const (
	BM25K1 = 1.2
	BM25B  = 0.75
)

// BM25IDF is the inverse document frequency of a term found in df of docs
// documents.
func BM25IDF(df, docs int) float64 {
	n := float64(max(docs, 1))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// BM25AvgLength is the average document length, never below 1.
func BM25AvgLength(totalLength int64, docs int) float64 {
	return max(float64(totalLength)/float64(max(docs, 1)), 1)
}

// BM25 scores a document of length with term frequencies tf, given each
// term's idf and the average length.
func BM25(tf []int, length int, idf []float64, avgLength float64) float64 {
	norm := BM25K1 * (1 - BM25B + BM25B*float64(length)/avgLength)
	score := 0.0
	for i, n := range tf {
		if i < len(idf) && n > 0 {
			f := float64(n)
			score += idf[i] * f * (BM25K1 + 1) / (f + norm)
		}
	}
	return score
}
