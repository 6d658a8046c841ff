package signing_test

import (
	"fmt"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

func ExampleSign() {
	// The vendor's documented example.
	fmt.Println(signing.Sign("userId=User123&age=25&gender=Male", "your-secret-api-key"))
	// Output: dd915e836a19306b6edbfda10dbc533b40488eb7778a5a5661245a7160e373ac
}

func ExampleCanonicalize() {
	fmt.Println(signing.Canonicalize("?userId=User123&age=25&gender=Male&reSignature=ignored"))
	fmt.Println(signing.Canonicalize("b=2&a=Hello+World&a=%C3%BC"))
	// Output:
	// ?age=25&gender=male&userid=user123
	// ?a=hello%20world&a=%C3%BC&b=2
}

func ExampleCreate() {
	now := time.Date(2025, 5, 20, 18, 32, 25, 0, time.UTC)
	nonce := func() string { return "bf5c7f4e8a794e41a58e08dfd634f816" } // normally nil, for RandomNonce

	signed, err := signing.Create("userId=User123", "your-secret-api-key", signing.Settings{
		ExpirationInSeconds: new(3600),
		EnableNonce:         new(true),
	}, now, nonce)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(signed.SignedQueryString)
	fmt.Println(*signed.Expiration, *signed.Nonce)

	_, err = signing.Create("userId=User123", "your-secret-api-key", signing.Settings{
		ExpirationInSeconds: new(0),
	}, now, nil)
	fmt.Println(err)
	// Output:
	// userId=User123&reExpiration=1747769545&reNonce=bf5c7f4e8a794e41a58e08dfd634f816&reSignature=d3a9ef0bb770d4292652ed6a7ab50629c302a5f245d6c91fe7d477d4f6863a95
	// 1747769545 bf5c7f4e8a794e41a58e08dfd634f816
	// securitySettings.expirationInSeconds: must be between 1 and 604800
}

func ExampleValidate() {
	const secret = "your-secret-api-key"
	now := time.Date(2025, 5, 20, 18, 32, 25, 0, time.UTC)
	signed, err := signing.Create("userId=User123", secret, signing.Settings{
		ExpirationInSeconds: new(3600),
		EnableNonce:         new(true),
	}, now, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	link := signed.SignedQueryString
	used := map[string]bool{}
	nonceUsed := func(nonce string) bool { return used[nonce] }

	check := func(query string, at time.Time) {
		result, err := signing.Validate(query, secret, at, nonceUsed)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(result)
	}
	check(link, now)
	check(link+"&extra=1", now)
	check(link, now.Add(2*time.Hour))
	used[*signed.Nonce] = true // a session was started from the link
	check(link, now)
	check("", now)
	// Output:
	// Valid
	// Invalid
	// Expired
	// NonceAlreadyUsed
	// queryString: must not be empty
}

func ExampleSignURLQuery() {
	fmt.Println(signing.SignURLQuery("result=Passed&sessionId=42", "your-secret-api-key"))
	// Output: result=Passed&sessionId=42&reSignature=ec8bacc4a7c4b1e5719fa86ad0f8f4ce0cf5bc84ce4dff6eba6314426d9f8006
}

func ExampleParse() {
	params := signing.Parse("?userId=User%20123&flag&&reNonce=abc")
	for _, p := range params {
		fmt.Printf("%q=%q\n", p.Key, p.Value)
	}
	nonce, ok := params.Get("RENONCE")
	fmt.Println(nonce, ok)
	// Output:
	// "userId"="User 123"
	// "flag"=""
	// "reNonce"="abc"
	// abc true
}

func ExampleAppend() {
	fmt.Println(signing.Append("verificationId=42", signing.Param{Key: "result", Value: "Age Passed"}))
	// Output: verificationId=42&result=Age%20Passed
}
