package valcache

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// product is a catalog record like those web shops cache: ids, text,
// prices, nested variants and attributes.
type product struct {
	ID          int64             `json:"id"`
	SKU         string            `json:"sku"`
	Title       string            `json:"title"`
	Brand       string            `json:"brand,omitempty"`
	Category    []string          `json:"category,omitempty"`
	Description string            `json:"description,omitempty"`
	Price       float64           `json:"price"`
	Currency    string            `json:"currency"`
	InStock     bool              `json:"in_stock"`
	Rating      float64           `json:"rating,omitempty"`
	Reviews     int               `json:"reviews,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	Variants    []variant         `json:"variants,omitempty"`
	Images      []string          `json:"images,omitempty"`
}

type variant struct {
	SKU   string  `json:"sku"`
	Size  string  `json:"size"`
	Color string  `json:"color"`
	Price float64 `json:"price"`
	Stock int     `json:"stock"`
}

var (
	corpusBrands     = []string{"Northwind", "Contoso", "Fabrikam", "Tailspin", "Adventure Works", "Litware", "Proseware"}
	corpusCategories = [][]string{{"Home", "Kitchen", "Cookware"}, {"Sports", "Outdoor", "Camping"}, {"Clothing", "Men", "Jackets"},
		{"Clothing", "Women", "Shoes"}, {"Electronics", "Audio", "Headphones"}, {"Garden", "Tools"}}
	corpusNouns  = []string{"kettle", "tent", "jacket", "sneaker", "headphones", "trowel", "pan", "backpack", "lamp", "bottle"}
	corpusAdj    = []string{"lightweight", "durable", "waterproof", "insulated", "compact", "ergonomic", "recycled", "premium"}
	corpusColors = []string{"black", "white", "navy", "olive", "red", "grey"}
	corpusSizes  = []string{"XS", "S", "M", "L", "XL"}
)

// catalogCorpus returns at least size bytes of products as JSON (the
// products themselves too), the same on every run.
func catalogCorpus(size int) ([]product, []byte) {
	r := rand.New(rand.NewPCG(42, uint64(size)))
	var ps []product
	for i := 0; ; i++ {
		ps = append(ps, randomProduct(r, int64(1000+i)))
		b, err := json.Marshal(ps)
		if err != nil {
			panic(err)
		}
		if len(b) >= size || size <= 100 {
			if size <= 100 { // one small record, cut down to the size
				ps[0] = product{ID: ps[0].ID, SKU: ps[0].SKU, Title: ps[0].Title, Price: ps[0].Price, Currency: "EUR", InStock: true}
				b, _ = json.Marshal(ps)
			}
			return ps, b
		}
	}
}

func randomProduct(r *rand.Rand, id int64) product {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	noun, adj, brand := pick(corpusNouns), pick(corpusAdj), pick(corpusBrands)
	p := product{
		ID: id, SKU: fmt.Sprintf("%s-%06d", noun[:3], id), Brand: brand,
		Title:    fmt.Sprintf("%s %s %s", brand, adj, noun),
		Category: corpusCategories[r.IntN(len(corpusCategories))],
		Description: fmt.Sprintf("A %s %s by %s. %s and %s, made for everyday use; %d-year warranty.",
			adj, noun, brand, pick(corpusAdj), pick(corpusAdj), 1+r.IntN(5)),
		Price: float64(r.IntN(20000))/100 + 0.99, Currency: "EUR", InStock: r.IntN(5) > 0,
		Rating: float64(r.IntN(50)) / 10, Reviews: r.IntN(5000),
		Attributes: map[string]string{"material": pick([]string{"steel", "nylon", "cotton", "aluminium", "polyester"}),
			"origin": pick([]string{"PT", "VN", "DE", "CN", "IT"}), "weight_g": fmt.Sprint(50 + r.IntN(3000))},
	}
	for range 1 + r.IntN(4) {
		p.Variants = append(p.Variants, variant{SKU: fmt.Sprintf("%s-%s", p.SKU, pick(corpusSizes)), Size: pick(corpusSizes),
			Color: pick(corpusColors), Price: p.Price, Stock: r.IntN(200)})
	}
	for i := range 1 + r.IntN(3) {
		p.Images = append(p.Images, fmt.Sprintf("https://cdn.example.com/img/%s/%d.jpg", p.SKU, i))
	}
	return p
}
