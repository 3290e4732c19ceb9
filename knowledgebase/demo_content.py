"""The demo shop's help centre: the categories and articles `seed_demo` saves through
knowledgebase.services."""

# ruff: noqa: E501 (Markdown prose keeps its own line breaks)

CATEGORIES = [
    {
        "slug": "orders-and-delivery",
        "name": "Orders and delivery",
        "description": "Tracking a parcel, delivery times and costs, changing or cancelling an order.",
    },
    {
        "slug": "payments-and-refunds",
        "name": "Payments and refunds",
        "description": "How to pay, failed or double payments, refunds and discount codes.",
    },
    {
        "slug": "returns-and-exchanges",
        "name": "Returns and exchanges",
        "description": "Sending something back, damaged or wrong items, repairs and warranty.",
    },
    {
        "slug": "products",
        "name": "Products and care",
        "description": "Specifications, manuals and care instructions for what we sell.",
    },
    {
        "slug": "account-and-privacy",
        "name": "Your account and privacy",
        "description": "Signing in, your details, marketing emails and your data.",
    },
]

ARTICLES = [
    # --- Policies: shown first on /help/ ----------------------------------------------------------
    {
        "category": "orders-and-delivery",
        "kind": "policy",
        "policy": "shipping",
        "title": "Shipping policy: delivery times and costs",
        "summary": "Orders leave our warehouse within one working day; delivery is free from 50 EUR and "
        "takes two to four working days in most of Europe.",
        "body": """## When your order leaves us

Orders placed on a working day before **14:00** leave our warehouse the same day; later orders leave
the next working day. You get an email with the tracking link as soon as the parcel is handed over.

## Delivery times and costs

| Destination | Working days | Cost | Free from |
|---|---|---|---|
| Germany, Netherlands, Belgium | 1-3 | 4.90 EUR | 50 EUR |
| Rest of the EU | 2-5 | 7.90 EUR | 80 EUR |
| United Kingdom | 3-6 | 9.90 EUR | 120 EUR |
| Switzerland and Norway | 3-7 | 12.90 EUR | 150 EUR |

Large items such as the **two-person tent** ship in their own parcel and may arrive a day later than the
rest of the order. An order that ships in several parcels shows each parcel on the
[tracking page](/track/).

## Carriers

We ship with DHL, UPS and FedEx, and with our own vans in selected cities. The carrier's tracking link in
your shipping email always shows the latest scan.

## Customs

Within the EU there are no customs duties. For the United Kingdom, Switzerland and Norway we pay duties
and import VAT for you: the price you see at checkout is the price you pay.

## Delivery slots and gift wrap

At checkout you can ask for an evening or weekend slot where our carrier offers one, and for gift wrap
(3.50 EUR per order, with a handwritten card if you leave a message).

If a parcel is late by more than two working days, [tell us](/contact/): we chase the carrier and, if
it is lost, send a replacement at once.
""",
        "tags": ["shipping", "delivery", "customs"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "policy",
        "policy": "returns",
        "title": "Returns policy: 30 days, free of charge",
        "summary": "Send anything back within 30 days of delivery for a refund or an exchange; the label is "
        "on us. Orders placed from 15 November to 31 December can be returned until 31 January.",
        "body": """## The short version

- **30 days** from the day your parcel was delivered.
- **Free**: we email you a prepaid label.
- **Refund or exchange**: your choice; refunds go back to the way you paid.

## How to return

1. Open your order on the [tracking page](/track/) with the order number and your email address.
2. Choose **Return items or make a claim**, pick the items and tell us why.
3. We email a prepaid label within one working day. Pack the items, stick on the label and drop the
   parcel at any point of the carrier.

## Holiday returns

Orders placed between **15 November and 31 December** can be returned until **31 January** of the next
year, so gifts can be exchanged after the holidays.

## What we take back

Items in the condition you received them, with their tags. For hygiene reasons we cannot take back
opened beauty products (soap, serum) unless they arrived damaged or faulty.

## Refund timing

We refund within **5 working days** of receiving your return. Your bank may take another 2-5 working days
to show it. You get an email when the refund is issued.

## Damaged or wrong items

These never count against your 30 days: see
[My item arrived damaged or wrong](/help/) and we make it right first.
""",
        "tags": ["returns", "exchange", "refund", "holiday"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "policy",
        "policy": "price_protection",
        "title": "Price protection: a lower price within 30 days",
        "summary": "If we lower the price of something you bought within 30 days of your order, we refund the "
        "difference.",
        "body": """## How it works

If the price of an item drops on our shop within **30 days** of the day you ordered it, we refund the
difference to the way you paid. It does not matter whether the item has already arrived.

## How to claim

1. Open your order on the [tracking page](/track/).
2. Choose **Return items or make a claim**, then **Price protection: the price dropped after I bought**.
3. Tell us the new price. We check it and refund the difference within 5 working days.

## What is covered

- Our own regular prices and our sales.
- Each item once per order, for the lowest price within the 30 days.

## What is not covered

- Prices of other shops.
- Flash deals that last less than 24 hours, coupon codes and bundle prices.
- Items bought with a staff or partner discount.

Questions? [Write to us](/contact/) with your order number.
""",
        "tags": ["price", "refund", "sale"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "products",
        "kind": "policy",
        "policy": "trial",
        "title": "Home trial: 60 nights for textiles and headphones",
        "summary": "Try our duvet covers, blankets and noise-cancelling headphones at home for 60 nights; if "
        "they are not for you, send them back used for a full refund.",
        "body": """## What you can try

Some things only show what they are worth after a few weeks at home. For these products the usual 30
days become **60 nights**, and you may send them back **used**:

| Product | Trial |
|---|---|
| Linen duvet cover 200x200 | 60 nights |
| Wool throw blanket | 60 nights |
| Noise-cancelling headphones | 60 nights |

## How to send a trial item back

Start a return on the [tracking page](/track/) within 60 nights of delivery and choose **Send it back**.
Wash textiles once before sending them; headphones go back with their cable and case. We refund the full
price within 5 working days of receiving them.

## Good to know

- One trial per product and household.
- Trial returns are free, like all returns.
- Used textiles we take back are cleaned and donated, never resold as new.
""",
        "tags": ["trial", "returns", "bedding", "headphones"],
        "related_skus": ["TEX-201", "TEX-203", "TEC-302"],
        "related_categories": ["Home textiles", "Electronics"],
        "status": "published",
    },
    # --- Orders and delivery ----------------------------------------------------------------------
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "Where is my parcel?",
        "summary": "Follow it with the tracking link in your shipping email, or look it up on our tracking "
        "page with your order number and email address.",
        "body": """As soon as your parcel leaves us we email you the carrier's tracking link. You can also look
up any order on our [tracking page](/track/) with the **order number** and the **email address** you
ordered with: it shows every parcel of the order and each scan.

**No scan for two days?** Parcels are sometimes scanned only at the depot. Give it one more working day.

**Marked delivered but not there?** Check with neighbours and your building's reception, and look for a
card from the carrier. If it is still missing the next day, [tell us](/contact/): we open an
investigation with the carrier and send a replacement.
""",
        "tags": ["tracking", "delivery", "missing"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "My parcel is late",
        "summary": "If your parcel is more than two working days past the promised date, tell us and we chase "
        "the carrier or send a replacement.",
        "body": """Most parcels arrive within the times in our [shipping policy](/help/). When a delivery is
late:

1. Check the tracking page for an exception scan (address problem, customs, failed delivery attempt).
2. If there is none and the parcel is **two working days** past the promised date, [contact us](/contact/)
   with your order number.

We contact the carrier the same day. If the carrier cannot find the parcel within five working days we
send a replacement or refund you, as you prefer. You never pay twice.
""",
        "tags": ["late", "delivery", "carrier"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "How do I change my delivery address?",
        "summary": "Before your order ships we can change the address; after that, the carrier's tracking page "
        "often lets you redirect the parcel.",
        "body": """**Not shipped yet?** [Write to us](/contact/) with the order number and the new address. We
change it as long as the parcel has not left the warehouse (orders usually leave within one working day).

**Already shipped?** Open the carrier's tracking link: DHL, UPS and FedEx let you redirect a parcel to
another address or a pickup point for most deliveries. If that is not possible, refuse the delivery or
let it come back to us and we send it again at no cost.
""",
        "tags": ["address", "delivery", "change"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "Can I cancel my order?",
        "summary": "Yes, until it ships: use Cancel on the tracking page. Once it has shipped, return it for a "
        "free refund instead.",
        "body": """Open your order on the [tracking page](/track/) and choose **Cancel this order**. While the
order is pending or confirmed we stop it before it leaves, and you get a full refund within 3 working
days if you paid in advance.

Once the order has shipped it can no longer be cancelled, but you can send it back free of charge under
our returns policy.

Paid cash on delivery? Nothing to refund: the cancelled parcel simply never comes.
""",
        "tags": ["cancel", "order"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "guide",
        "policy": "",
        "title": "Gift wrap and delivery slots",
        "summary": "Add gift wrap with a handwritten card for 3.50 EUR, and choose an evening or weekend slot "
        "where the carrier offers one.",
        "body": """## Gift wrap

Tick **gift wrap** at checkout: every item is wrapped in recycled paper and we hide the prices. Leave a
message and we write it on a card by hand. Gift wrap costs 3.50 EUR per order.

## Delivery slots

In Germany, the Netherlands and Belgium you can choose **weekday evenings (17:00-21:00)** or
**Saturday** at checkout. Our own vans deliver in Berlin, Hamburg and Amsterdam at the hour you pick.

## Sending to someone else

Enter their name and address as the delivery address. The tracking emails still come to you, so the
surprise is safe.
""",
        "tags": ["gift", "delivery slot", "wrap"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Payments and refunds ---------------------------------------------------------------------
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "Which payment methods do you accept?",
        "summary": "Cards, PayPal, Apple Pay, Google Pay, bank transfer and, in Germany and the Netherlands, "
        "cash on delivery.",
        "body": """- **Cards**: Visa, Mastercard and American Express.
- **PayPal**, **Apple Pay** and **Google Pay**.
- **Bank transfer**: we ship when the money arrives, usually within one working day.
- **Cash on delivery** in Germany and the Netherlands, for orders up to 300 EUR; the carrier charges a
  2.00 EUR fee.

Your card is charged when you order. If an item turns out to be out of stock, we refund it the same day.
""",
        "tags": ["payment", "card", "cod", "paypal"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "I was charged twice",
        "summary": "A second charge is usually a pending authorisation that disappears within 3 working days; "
        "if both are booked, we refund the extra one at once.",
        "body": """When a payment is retried, your bank may show a **pending** authorisation next to the real
charge. Pending amounts disappear on their own within 3 working days.

If **both** charges are booked on your statement, [contact us](/contact/) with your order number. Our
system flags double charges as urgent, and we refund the extra payment the same working day. You get an
email when the refund is issued.
""",
        "tags": ["double charge", "payment", "refund"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "When will I get my refund?",
        "summary": "We issue refunds within 5 working days of receiving a return (3 for a cancellation); your "
        "bank may take another 2-5 working days.",
        "body": """| What happened | We refund within |
|---|---|
| You cancelled before shipping | 3 working days |
| We received your return | 5 working days |
| Price protection claim | 5 working days |
| Lost parcel confirmed by the carrier | 2 working days |

Refunds go back to the way you paid: the same card, PayPal account or bank account. Card refunds take
2-5 working days to show on your statement after we issue them. You get an email the moment we do.

Still nothing after that? [Write to us](/contact/) and we send you the refund reference for your bank.
""",
        "tags": ["refund", "timing"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "My payment failed",
        "summary": "Your order is kept for 48 hours: pay again from the link in our email, or choose another "
        "payment method.",
        "body": """A payment can fail because of a typing error, 3-D Secure not confirmed in your banking app, a
card limit or an expired card. Nothing is charged when it fails.

We keep your order for **48 hours** and email you a link to pay again. You can choose another method
there. After 48 hours the order is cancelled and the items go back on sale.
""",
        "tags": ["payment failed", "card", "3-d secure"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "My discount code did not work",
        "summary": "Check its expiry date, minimum order value and the products it applies to; if it should "
        "have worked, we refund the discount.",
        "body": """Common reasons a code is refused:

- It has **expired**: codes from our emails are valid for 30 days.
- The order is below the code's **minimum value**.
- It is a **first-order** code and you have ordered before with the same email address.
- It does not apply to items that are already **on sale**.
- Only **one code** per order.

If the code should have applied, [write to us](/contact/) with the order number and the code: we refund
the discount to your payment method.
""",
        "tags": ["coupon", "discount", "voucher"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Returns and exchanges --------------------------------------------------------------------
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "My item arrived damaged or wrong",
        "summary": "Tell us within 14 days with a photo: we send a replacement at once, and you keep or return "
        "the faulty item at our cost.",
        "body": """Sorry about that. Open your order on the [tracking page](/track/), choose **Return items or
make a claim**, and tell us what is wrong. A photo of the damage or the wrong item helps us fix it
faster.

- **Damaged in transit**: we send a replacement the next working day. For small items you keep the
  damaged one; for larger ones we send a free label.
- **Wrong item or size**: we send the right one and a label for the wrong one.
- **Something missing**: check whether the order came in several parcels (the tracking page shows
  each); if it did not, we send the missing item.

Claims for damage in transit are welcome within 14 days of delivery.
""",
        "tags": ["damaged", "wrong item", "missing item", "replacement"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "How do I exchange for another size or colour?",
        "summary": "Start a return, choose Exchange and say what you would like instead; we ship the new one "
        "as soon as your parcel is scanned.",
        "body": """1. Open your order on the [tracking page](/track/).
2. Choose **Return items or make a claim**, pick the item and choose **Exchange**.
3. Tell us the size or colour you want.

We ship the new item as soon as the carrier scans your return, so you do not wait for it to reach us.
Exchanges are free. If the new one costs more we send a payment link for the difference; if it costs
less we refund the difference.
""",
        "tags": ["exchange", "size", "colour"],
        "related_skus": [],
        "related_categories": ["Home textiles"],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "guide",
        "policy": "",
        "title": "Warranty and repairs",
        "summary": "Everything we sell has a two-year warranty; electronics and the hair dryer get a free "
        "repair or replacement if they fail.",
        "body": """All products come with the **two-year legal warranty** from the day of delivery. Our
electronics (charging pad, headphones, LED bulbs, speaker) and the hair dryer carry an extra year from
the maker.

## Making a warranty claim

Open your order on the [tracking page](/track/), choose **Return items or make a claim**, then
**A repair**. Describe the fault. We send a free label; the repair takes about 10 working days, and
where it cannot be repaired we replace the item or refund it.

## Recalls

If a product is recalled we email everyone who bought it. You can also start a recall request from the
order page.
""",
        "tags": ["warranty", "repair", "recall"],
        "related_skus": ["TEC-301", "TEC-302", "TEC-303", "TEC-304", "BEA-403"],
        "related_categories": ["Electronics", "Beauty"],
        "status": "published",
    },
    # --- Products and care ------------------------------------------------------------------------
    {
        "category": "products",
        "kind": "manual",
        "policy": "",
        "title": "Seasoning and caring for the cast-iron skillet",
        "summary": "Rinse with hot water, dry on the hob and wipe with a drop of oil: no dishwasher, no "
        "soaking.",
        "body": """The **cast-iron skillet 28 cm** comes pre-seasoned and gets better with use.

## Every day

1. Let it cool a little, rinse with hot water and a brush. A drop of mild soap is fine.
2. Dry it on the hob over low heat for a minute.
3. Wipe a few drops of neutral oil over the inside with kitchen paper.

## Never

- The dishwasher.
- Soaking it in water.
- Cooling a hot pan under cold water (it can crack).

## Rust spots?

Scrub them off with steel wool, rinse, dry, oil the whole pan and bake it upside down at 230 °C for one
hour. It is as good as new.

Works on gas, electric, induction, in the oven and on the barbecue.
""",
        "tags": ["skillet", "cast iron", "care"],
        "related_skus": ["KIT-101"],
        "related_categories": ["Kitchen"],
        "status": "published",
    },
    {
        "category": "products",
        "kind": "spec",
        "policy": "",
        "title": "Noise-cancelling headphones: specifications",
        "summary": "Up to 30 hours with noise cancelling on, USB-C fast charging, Bluetooth 5.3 with two "
        "devices at once.",
        "body": """| | |
|---|---|
| Battery | 30 h with noise cancelling, 40 h without |
| Charging | USB-C; 10 minutes give 5 hours |
| Bluetooth | 5.3, two devices at once, AAC and SBC |
| Weight | 254 g |
| Cable | 3.5 mm, included, works when the battery is flat |
| Warranty | 3 years |

## Pairing

Hold the power button for 5 seconds until the light flashes blue, then choose the headphones in your
phone's Bluetooth settings.

## Reset

Hold power and the noise-cancelling button together for 10 seconds.

Part of our [60-night home trial](/help/).
""",
        "tags": ["headphones", "bluetooth", "battery"],
        "related_skus": ["TEC-302"],
        "related_categories": ["Electronics"],
        "status": "published",
    },
    {
        "category": "products",
        "kind": "manual",
        "policy": "",
        "title": "Setting up the smart LED bulbs",
        "summary": "Screw in, switch on, and add the bulb in the app within 3 minutes; 2.4 GHz Wi-Fi only.",
        "body": """1. Screw the bulb into an E27 socket and switch the light on.
2. Open the app, tap **Add device** and follow the steps within 3 minutes.
3. Your phone must be on the **2.4 GHz** Wi-Fi network: the bulbs do not support 5 GHz.

**The bulb does not show up?** Switch it off and on three times in a row: it blinks quickly, ready to
pair again.

Each bulb gives 806 lumens (like a 60 W bulb), from warm 2,700 K to daylight 6,500 K, and uses 8.5 W.
""",
        "tags": ["smart bulb", "wifi", "setup"],
        "related_skus": ["TEC-303"],
        "related_categories": ["Electronics"],
        "status": "published",
    },
    {
        "category": "products",
        "kind": "spec",
        "policy": "",
        "title": "Two-person tent: specifications and pitching",
        "summary": "2.1 kg, 3,000 mm waterproof flysheet, pitches in about 5 minutes with the inner tent "
        "attached.",
        "body": """| | |
|---|---|
| Sleeps | 2 |
| Packed weight | 2.1 kg |
| Packed size | 45 x 15 cm |
| Flysheet | 3,000 mm hydrostatic head, taped seams |
| Poles | aluminium, colour-coded |

## Pitching

1. Lay the tent out with the door away from the wind and peg the four corners.
2. Slide the colour-coded poles through the matching sleeves and clip the inner tent to them.
3. Tension the guy lines.

Always dry the tent fully before storing it for longer than a day, or mould can form.
""",
        "tags": ["tent", "camping", "outdoor"],
        "related_skus": ["OUT-602"],
        "related_categories": ["Outdoor"],
        "status": "published",
    },
    {
        "category": "products",
        "kind": "guide",
        "policy": "",
        "title": "Washing linen and wool",
        "summary": "Linen at 40 °C, no softener, line-dry; wool by hand or on the wool cycle at 30 °C, dried "
        "flat.",
        "body": """## Linen duvet covers

- Wash at **40 °C** with a mild detergent, no fabric softener.
- Line-dry, or tumble-dry on low and take it out while slightly damp.
- Linen softens with every wash; small creases are part of its charm.

## Wool throw blanket

- Air it often; wash only when needed, by hand or on the **wool cycle at 30 °C**.
- Dry flat, away from the radiator.

## Waffle towels

- Wash at 60 °C before first use; they become more absorbent after a few washes.
""",
        "tags": ["care", "washing", "linen", "wool"],
        "related_skus": ["TEX-201", "TEX-202", "TEX-203"],
        "related_categories": ["Home textiles"],
        "status": "published",
    },
    # --- Account and privacy ----------------------------------------------------------------------
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "I forgot my password",
        "summary": "Use Forgot password on the sign-in page; the reset link arrives within minutes and works "
        "for one hour.",
        "body": """Choose **Forgot password** on the sign-in page and enter your email address. The link we send
works for one hour. No email? Check your spam folder, and make sure it is the address you ordered with.

You do not need an account to follow an order: the [tracking page](/track/) only asks for the order
number and your email address.
""",
        "tags": ["password", "account", "sign in"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "How do I stop marketing emails?",
        "summary": "Click unsubscribe at the bottom of any of our emails: it works at once. You still get "
        "emails about your orders.",
        "body": """Every marketing email has an **unsubscribe** link at the bottom; one click is enough, no
sign-in needed. It takes effect at once.

Emails about your orders (confirmation, shipping, delivery, refunds) are service messages and keep
coming, so you know where your things are. Those have their own opt-out link if you prefer to follow
orders on the tracking page.
""",
        "tags": ["unsubscribe", "newsletter", "email"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "What do you do with my data?",
        "summary": "We use your details to deliver your orders and answer you; we never sell them, and you can "
        "ask for a copy or deletion at any time.",
        "body": """We keep your name, addresses, orders and messages to deliver, to handle returns and
warranty, and to answer your questions. Marketing emails go only to customers who agreed to them.

- We **never sell** your data.
- Carriers and payment providers get only what they need for your order.
- Ask us for a **copy** of your data or its **deletion** through the [contact form](/contact/); we answer
  within 30 days. Orders we must keep for tax reasons are kept for the legal period.
""",
        "tags": ["privacy", "gdpr", "data"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "How to reach us",
        "summary": "Use the contact form: we answer within one business day. Phone help is available on "
        "weekdays from 9:00 to 17:00.",
        "body": """The fastest way is the [contact form](/contact/): add your order number if it is about an
order, and we answer within one business day, usually much sooner. You get a reference such as
CR-000123 by email; reply to that email to add anything.

Prefer to talk? Call **+49 30 1234 5678** on weekdays from 9:00 to 17:00 (CET).
""",
        "tags": ["contact", "phone", "support"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Work in progress -------------------------------------------------------------------------
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "Paying in instalments",
        "summary": "Draft: instalment payments are planned for next season.",
        "body": "We are preparing instalment payments. This page goes live when they do.",
        "tags": ["instalments", "payment"],
        "related_skus": [],
        "related_categories": [],
        "status": "draft",
    },
    {
        "category": "products",
        "kind": "manual",
        "policy": "",
        "title": "Portable speaker: pairing two speakers",
        "summary": "Draft: stereo pairing of two portable speakers.",
        "body": "Hold the Bluetooth buttons of both speakers for 3 seconds. (Steps to be checked with the maker.)",
        "tags": ["speaker", "bluetooth"],
        "related_skus": ["TEC-304"],
        "related_categories": ["Electronics"],
        "status": "draft",
    },
]
