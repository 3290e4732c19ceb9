"""The demo shop's help-centre content (categories and articles) that `seed_demo` loads."""

CATEGORIES = [
    {
        "slug": "orders-and-delivery",
        "name": "Orders and delivery",
        "description": "Tracking, carriers, delivery times and costs, changing or cancelling an order.",
    },
    {
        "slug": "payments-and-refunds",
        "name": "Payments and refunds",
        "description": "How to pay, cash on delivery, failed or double payments, invoices and refund times.",
    },
    {
        "slug": "returns-and-exchanges",
        "name": "Returns and exchanges",
        "description": "Sending things back, exchanges, damaged or wrong items, holiday returns, warranty.",
    },
    {
        "slug": "prices-and-offers",
        "name": "Prices, offers and trials",
        "description": "Price protection, the 30-day home trial, discount codes and loyalty points.",
    },
    {
        "slug": "product-care",
        "name": "Product care and manuals",
        "description": "Specifications, set-up guides and care instructions for the things we sell.",
    },
    {
        "slug": "account-and-privacy",
        "name": "Your account and privacy",
        "description": "Signing in, your details, marketing and order emails, and what we do with your data.",
    },
    {
        "slug": "contact-and-support",
        "name": "Contact and support",
        "description": "How to reach our care team and follow your requests.",
    },
]

ARTICLES = [
    # --- Orders and delivery ---------------------------------------------------------------------------
    {
        "category": "orders-and-delivery",
        "kind": "policy",
        "policy": "shipping",
        "title": "Shipping policy: delivery times and costs",
        "summary": "Orders placed on a working day before 14:00 leave our warehouse the same day. Standard "
        "delivery costs 4.90 EUR and is free when your items come to 50 EUR or more.",
        "body": """## When your order leaves us

Orders placed Monday to Friday before **14:00 (Berlin time)** leave us the same day; later orders leave
on the next working day. When a parcel is handed over we email you its tracking number and a link to
your [order page](/track/).

## Delivery times and costs

Standard delivery costs **4.90 EUR per order** wherever we deliver, and is **free when the items in your
order come to 50 EUR or more** (after any discount code). Times are counted in working days from the day
your order leaves us.

| Destination | Standard | Express | Express cost |
|---|---|---|---|
| Germany | 1-2 days | next working day | 9.90 EUR |
| Austria | 2-3 days | next working day | 9.90 EUR |
| Rest of the EU | 2-5 days | 1-2 days | 14.90 EUR |
| United Kingdom | 2-4 days | 1-2 days | 14.90 EUR |
| United States | 3-5 days | 2-3 days | 19.90 EUR |
| India | 3-6 days | 2-4 days | 19.90 EUR |

Your order page shows the date we expect your order. If we miss it, the page says so and we chase the
carrier without you having to ask.

## Parcels and carriers

Large items such as the **Two-person tent** travel in a parcel of their own, so one order can arrive in
several parcels on different days, each with its own tracking on your order page. In Berlin and Hamburg
many orders come with our own vans.

## Duties and taxes

No customs charges within the EU. Orders to the United Kingdom, the United States and India may incur
import duties or taxes, collected by the carrier on delivery and not included in our prices.

## If something goes wrong

Parcel two working days late, or no new scan for three? Use **Report a problem with this order** on
your [order page](/track/). If the carrier has lost it, we replace it or refund you in full.
""",
        "tags": ["shipping", "delivery", "delivery times", "costs", "free shipping", "express", "customs"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "Where is my parcel?",
        "summary": "Open your order on our tracking page with your order number and email address: it shows "
        "every parcel, its carrier, the latest scan and the expected delivery date.",
        "body": """## Track your parcel

1. Go to the [order tracking page](/track/).
2. Enter your **order number** (it is in your confirmation email) and the **email address** you ordered
   with.
3. Select **Find my order**.

Your order page shows the order status (Pending, Confirmed, Partially shipped, Shipped, Delivered) and,
for every parcel:

- the carrier and tracking number, with a **Track with** button that opens the carrier's own page;
- what is inside that parcel;
- the carrier's scans, newest first, with place and time;
- the date we expect the parcel, or a note if it is running late.

## My order has not shipped yet

Orders usually leave us within one working day. If your order page still says **Confirmed** and there
is no parcel on it, it is being packed. Orders paid by bank transfer wait for the money to arrive.

## No new scans?

Carriers often scan a parcel only when it leaves a hub, so a day or two without an update is normal,
especially for deliveries to the United Kingdom, the United States and India. Parcels delivered by our
own vans in Berlin and Hamburg have no carrier website: their scans appear on your order page only.

## I cannot find my order

If the page says your details do not match, check for spaces in the order number and try the email
address the confirmation was sent to. After several attempts lookups pause for a few minutes to keep
orders private. Still stuck? [Write to us](/contact/) and we will find it for you.
""",
        "tags": ["tracking", "where is my order", "parcel", "delivery", "order status"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "My parcel is late or has not arrived",
        "summary": "If your parcel is more than two working days late, or shows as delivered but you do not "
        "have it, report it from your order page. If the carrier cannot find it we replace or refund it.",
        "body": """## The parcel is late

Your [order page](/track/) shows the date we promised. If that date has passed, the page says
**Running late** and we are already chasing the carrier. Common reasons are a missed delivery attempt,
an incomplete address or bad weather; the carrier's latest scan usually says which.

- **Recipient not at home:** most carriers try again on the next working day. After two failed attempts
  the parcel waits at a nearby parcel shop or post office for 7 days.
- **Address incomplete:** the carrier contacts you. You can also tell us the correct details with
  **Report a problem with this order**.

If the parcel is **two or more working days late**, or the tracking has not moved for **three working
days** (five for the United States and India), report it from your order page.

## It says delivered, but I do not have it

1. Check with neighbours, your building's reception and any parcel locker or safe place you use.
2. Look at the carrier's scan: it often says where the parcel was left.
3. Wait until the end of the next working day: parcels are sometimes scanned a little early.

Still nothing? Choose **Report a problem with this order** on your order page within **14 days** of the
delivery scan and tell us what you checked.

## What we do

We open an investigation with the carrier the same working day. If the parcel is not found within
**5 working days**, we send a replacement by express or refund you in full, shipping included: your
choice. A parcel that comes back to us undelivered is refunded in full or sent out again free of charge.
""",
        "tags": ["late", "missing", "lost parcel", "not delivered", "delivery problem"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "guide",
        "policy": "",
        "title": "Our carriers and how to track with them",
        "summary": "We ship with DHL, UPS, FedEx, Royal Mail, USPS, Blue Dart and Delhivery depending on "
        "your country, and with our own vans in Berlin and Hamburg.",
        "body": """## Who delivers your parcel

We choose the carrier for each parcel by destination, size and the fastest route on the day. The carrier
is shown on your [order page](/track/) as soon as the parcel leaves us.

| Destination | Carriers |
|---|---|
| Germany | DHL, UPS, FedEx; our own vans in Berlin and Hamburg |
| Austria | DHL, UPS, FedEx |
| United Kingdom | Royal Mail, DHL, UPS |
| United States | USPS, UPS, FedEx |
| India | Blue Dart, Delhivery |
| Everywhere else | DHL, UPS, FedEx |

We cannot promise a particular carrier for an order, but you can always redirect a parcel with the
carrier once it is on its way.

## Tracking with the carrier

Select **Track with** next to a parcel on your order page to open the carrier's tracking page with your
tracking number filled in. On the carrier's page you can often:

- choose another delivery day;
- send the parcel to a parcel shop, locker or neighbour;
- leave a safe-place instruction.

These options differ by carrier and country, and the carrier cannot send a parcel to a completely new
address: for that, see *How do I change my delivery address?*

## Our own delivery

In **Berlin and Hamburg** many orders are delivered by our own vans. They have no carrier website: the
scans, including **Out for delivery**, appear on your order page, and we email you when the van sets
off. Our drivers keep to the delivery slot you chose at checkout.
""",
        "tags": [
            "carriers",
            "dhl",
            "ups",
            "fedex",
            "royal mail",
            "usps",
            "blue dart",
            "delhivery",
            "tracking",
        ],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "How do I change my delivery address?",
        "summary": "We can change the address until your order ships: report it from your order page or "
        "write to us with your order number. Once shipped, ask the carrier to redirect the parcel.",
        "body": """## Before your order ships

While your order page says **Pending** or **Confirmed**, we can still change the address.

1. Open your order on the [tracking page](/track/).
2. Choose **Report a problem with this order**.
3. Write the full new address, including the postcode and a phone number for the courier.

Requests reach our team straight away. On working days between 8:00 and 18:00 we usually change the
address within an hour, and we email you when it is done. Orders placed before 14:00 leave the same day,
so the sooner you tell us the better.

## After your order has shipped

Once the parcel is with the carrier we cannot change the address any more. Use **Track with** on your
order page to open the carrier's page: most carriers let you send the parcel to a neighbour, a parcel
shop or a locker, or choose another day.

If the parcel cannot be delivered and comes back to us, we send it out again to the right address free
of charge, or refund the order in full if you prefer.

## Small mistakes

A missing house number or a misspelt street rarely stops a parcel. If the carrier cannot find the
address, it contacts you or us and holds the parcel for a few days while we sort it out.
""",
        "tags": ["address", "change address", "delivery", "wrong address"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "faq",
        "policy": "",
        "title": "Can I cancel my order?",
        "summary": "Yes, as long as it has not shipped: choose Cancel this order on your order page. "
        "Prepaid orders are refunded within 3 working days.",
        "body": """## Cancelling before it ships

1. Open your order on the [tracking page](/track/).
2. Choose **Cancel this order**. The button is there while the order is **Pending** or **Confirmed**.
3. Tell us why if you like (it is optional) and select **Ask to cancel**.

We confirm the cancellation by email, usually within a few hours on working days.

- **Paid by card, PayPal or bank transfer:** we refund the full amount, shipping included, within
  **3 working days** of the cancellation, to the way you paid.
- **Cash on delivery:** there is nothing to pay and nothing to refund.

## Cancelling part of an order

To remove one item but keep the rest, choose **Report a problem with this order** instead and tell us
which item. We adjust the order and refund the difference.

## Too late to cancel?

Once the order page shows **Shipped** or **Partially shipped**, the parcel is on its way and cannot be
stopped. You can:

- return it free of charge within 30 days of delivery, see our *Returns policy*; or
- refuse the parcel at the door. It comes back to us and we refund you once it arrives, usually within
  10 working days.

If you cancel after your order has left us by mistake, or change your mind about cancelling, just
[write to us](/contact/).
""",
        "tags": ["cancel", "cancellation", "change my mind", "refund"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "orders-and-delivery",
        "kind": "guide",
        "policy": "",
        "title": "Gift wrap, delivery slots and delivery notes",
        "summary": "At checkout you can add free gift wrap, choose a delivery slot and leave a note for the "
        "courier. Your choices are shown on your order page under Your instructions.",
        "body": """## Gift wrap

Tick **Gift wrap** at checkout and we wrap every item in recycled paper with a ribbon, free of charge.
Gift-wrapped orders come with a packing slip **without prices**. Want to add a message? Write it in the
note field at checkout and we print it on a card, up to 300 characters.

Large items such as the Two-person tent and the Garden hose 25 m are wrapped in their shipping box only.

## Delivery slots

In Germany and Austria you can choose when you would like your order delivered:

| Slot | Days | Times |
|---|---|---|
| Weekday morning | Monday to Friday | 8:00-12:00 |
| Weekday evening | Monday to Friday | 18:00-21:00 |
| Saturday morning | Saturday | 8:00-13:00 |

Slots are free. Our own vans in **Berlin and Hamburg** keep to them; other carriers treat the slot as
your preference and deliver in it whenever their round allows.

## Notes for the courier

Use the note field for things like "Ring twice, the bell is quiet" or "Please leave it with the
neighbour at number 4". We pass the note to the carrier with the parcel.

## Checking or changing your choices

Your [order page](/track/) lists gift wrap, your slot and your note under **Your instructions**. To
change them before the order ships, choose **Report a problem with this order** and tell us what you
need.
""",
        "tags": ["gift wrap", "gift", "delivery slot", "evening delivery", "saturday", "note"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Payments and refunds --------------------------------------------------------------------------
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "Which payment methods do you accept?",
        "summary": "You can pay by credit or debit card, PayPal, bank transfer or cash on delivery. Card "
        "and PayPal payments are taken when you order; there are no extra fees for any method.",
        "body": """## Ways to pay

| Method | When you pay | Ships |
|---|---|---|
| Card (Visa, Mastercard, American Express) | When you order | Within one working day |
| Apple Pay and Google Pay | When you order | Within one working day |
| PayPal | When you order | Within one working day |
| Bank transfer | Within 7 days of ordering | When the money arrives |
| Cash on delivery | To the courier at the door | Within one working day |

All prices are in **euros (EUR)** and include VAT for deliveries within the EU. No method costs extra.

## Card payments

Your bank may ask you to confirm the payment in its app or with a code (3-D Secure). We never see or
store your full card number: payments are handled by our payment provider.

## Bank transfer

After ordering you get our bank details and a reference by email. Please use the **order number as the
reference** so we can match the payment. Transfers within the euro area usually arrive in 1-2 working
days. If nothing arrives within 7 days, we cancel the order and let you know.

## Cash on delivery

Pay the courier when your parcel arrives. See *Paying cash on delivery* for how it works.

## Paying for one order with two methods

This is not possible, and gift cards are not available yet.
""",
        "tags": ["payment", "payment methods", "card", "paypal", "bank transfer", "cash on delivery"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "guide",
        "policy": "",
        "title": "Paying cash on delivery",
        "summary": "Choose cash on delivery at checkout and pay the courier when your parcel arrives. There "
        "is no surcharge; refunds for cash orders are paid by bank transfer.",
        "body": """## How it works

1. Choose **Cash on delivery** at checkout. We confirm your order straight away.
2. Your order page shows the amount to have ready: *Cash on delivery: please have the total ready when
   the courier arrives.*
3. Pay the courier when the parcel arrives. You get a receipt from the carrier.

Cash on delivery costs nothing extra.

## Good to know

- Please have the **exact amount** ready if you can: couriers carry little change.
- Many couriers also accept a card at the door, but we cannot guarantee it on every route.
- If your order arrives in **several parcels**, you pay the whole order total to the courier who brings
  the first parcel. The order page says which parcels are still to come.
- Someone else can pay and accept the parcel for you, for example a neighbour or a colleague.

## Refused or missed parcels

If nobody is at home, the carrier tries again or leaves a note saying where to collect and pay. A
parcel refused at the door or not collected within 7 days comes back to us and the order is cancelled.
If this happens several times, we may ask you to pay in advance for future orders.

## Refunds for cash orders

When you return something from a cash order, we refund it by **bank transfer**. Add your IBAN and
account holder name in the return request, or reply to our return email with them. The money reaches
your account within 1-3 working days of our transfer.
""",
        "tags": ["cash on delivery", "cod", "pay at the door", "payment"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "My payment failed",
        "summary": "A failed payment does not take any money. Your order is kept for 24 hours: pay again "
        "with the link in your email, or use another method.",
        "body": """## What happens to my order?

A failed payment takes no money from your account. Your order is kept for **24 hours** and your order
page shows **Waiting for your payment**. Use the payment link in your order email to try again, with
the same method or a different one. After 24 hours unpaid orders are cancelled automatically.

## Common reasons

- **Confirmation not completed:** your bank asked you to approve the payment in its app or by text
  message, and the time ran out.
- **Card details:** a mistyped number, expiry date or security code, or an expired card.
- **Limits:** the card's daily or online limit has been reached.
- **Security check:** the bank blocked an unusual payment. A quick call to your bank usually clears it.
- **PayPal:** the linked card or bank account was declined; choose another source in PayPal.

## I see a pending amount

Some banks show a **reservation** for a failed attempt. It is not a charge: the bank releases it
automatically, usually within 5-7 working days. If money was actually taken and your order still says
it is waiting for payment, see *I was charged twice* or [write to us](/contact/) with your order number.

## Still not working?

Try PayPal, a bank transfer or cash on delivery. Our team cannot take card details by email or phone,
for your safety.
""",
        "tags": ["payment failed", "declined", "card declined", "3-d secure", "payment"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "I was charged twice",
        "summary": "Often the second amount is only a reservation that your bank releases in a few days. If "
        "you really paid twice, we refund the extra payment, usually within one working day.",
        "body": """## Is it a charge or a reservation?

Look at the two amounts in your banking app:

- **Pending or reserved:** usually left over from a payment attempt that failed or was interrupted. It
  is not a charge and disappears by itself within **5-7 working days**.
- **Booked (completed) twice:** you really paid twice, for example after pressing *Pay* twice or
  reloading the payment page.

## If you paid twice

We check every order for duplicate payments automatically. When we find one, our team refunds the extra
payment, usually **within one working day**, and emails you when it is done. You do not need to do
anything, but you are welcome to tell us:

1. Open your order on the [tracking page](/track/).
2. Choose **Report a problem with this order**.
3. Write *Charged twice* with the dates and amounts from your statement.

## When will I see the money?

| Paid with | Back in your account |
|---|---|
| PayPal | Within 24 hours |
| Card | 3-5 working days |
| Bank transfer | 1-3 working days |

Your order page shows the amount refunded as soon as we send it. If the extra payment is still missing
after these times, reply to our refund email and we will send you the payment reference for your bank.
""",
        "tags": ["charged twice", "double charge", "duplicate payment", "refund", "payment"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "When will I get my refund?",
        "summary": "We refund cancelled orders within 3 working days and returns within 7 days of the "
        "parcel reaching us. Your bank then needs between one and five working days.",
        "body": """## When we send the refund

| What happened | We refund within |
|---|---|
| You cancelled before shipping | 3 working days |
| A return reached our warehouse | 7 days, usually 2-3 |
| Price protection claim approved | 3 working days |
| A duplicate payment | 1 working day |
| A lost parcel the carrier could not find | 1 working day after we hear |

We email you as soon as the refund is sent, and your [order page](/track/) shows the amount refunded.
You can follow a return there too: its status goes from **Requested** to **Approved**, **Received** and
**Resolved**.

## When you see the money

The refund goes back to the way you paid:

- **PayPal:** within 24 hours.
- **Card:** 3-5 working days; some banks show it as a credit, others cancel the original payment.
- **Bank transfer:** 1-3 working days.
- **Cash on delivery:** by bank transfer, 1-3 working days after you give us your IBAN.

## How much is refunded

The price you paid for the returned items. The original shipping cost is refunded when you return the
**whole order**, or when the return is our mistake (damaged, faulty or wrong item).

## My refund is late

If the times above have passed, check the refund email for the date and amount, then
[write to us](/contact/) with your order number. Refunds not received within 7 days are checked by our
team every day.
""",
        "tags": ["refund", "refund time", "money back", "return", "cancellation"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "Where do I find my invoice?",
        "summary": "Your invoice is attached as a PDF to the email we send when your order ships. Need a "
        "copy, a company name or a VAT number on it? Write to us with your order number.",
        "body": """## Your invoice

We send your invoice as a **PDF attachment** with the shipping email, when the first parcel of your
order leaves us. It lists every item, the shipping cost, the VAT and how you paid.

## I need another copy

[Write to us](/contact/) with your order number and we send a copy to the email address you ordered
with, usually the same working day.

## Company name or VAT number

Add the company name and VAT identification number in the address fields at checkout and they appear on
the invoice. If you forgot, write to us within **30 days** of the order and we issue a corrected
invoice. We cannot change the address of an invoice once the order has been delivered to it.

## Refunds and credit notes

When you return items or get a price protection refund, we send a **credit note** by email with the
amount refunded. Keep it with your invoice for your records.

## Orders outside the EU

For the United Kingdom, the United States and India the invoice shows prices without EU VAT. Import
taxes charged on delivery by the carrier are receipted by the carrier, not by us.
""",
        "tags": ["invoice", "receipt", "vat", "credit note", "business"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "payments-and-refunds",
        "kind": "faq",
        "policy": "",
        "title": "Paying in instalments",
        "summary": "We are preparing the option to pay orders from 150 EUR in three monthly instalments. It "
        "is not available yet.",
        "body": """## What we are planning

We are working with a payment partner to let you spread the cost of larger orders, such as the
Noise-cancelling headphones or the Two-person tent.

- Orders from **150 EUR**.
- **Three equal monthly instalments**, the first taken when the order ships.
- No interest and no fees if you pay on time.
- Available in Germany and Austria first.

## Still to confirm

- Whether the instalment check needs a short identity check with the partner.
- How refunds work when you return part of an order paid in instalments: the plan is to reduce the
  remaining instalments first and refund anything already paid beyond that.
- How price protection refunds are applied to an instalment plan.

Until this option goes live, you can pay by card, PayPal, bank transfer or cash on delivery.
""",
        "tags": ["instalments", "pay later", "payment"],
        "related_skus": [],
        "related_categories": [],
        "status": "draft",
    },
    # --- Returns and exchanges -------------------------------------------------------------------------
    {
        "category": "returns-and-exchanges",
        "kind": "policy",
        "policy": "returns",
        "title": "Returns policy: 30 days to change your mind",
        "summary": "You can return items within 30 days of delivery, free of charge, for a refund or a "
        "replacement. Orders placed from 15 November to 31 December can go back until 31 January.",
        "body": """## The short version

- **30 days** from the day your order was delivered to start a return.
- **Free:** we email you a prepaid return label.
- **Refund or replacement:** your choice. Refunds go back to the way you paid.

The exact last day for your order is shown on your [order page](/track/) as *Returns and repairs:
until ...*. Returns open once your order has been delivered.

## Holiday returns

Orders placed between **15 November and 31 December** can be returned until **31 January** of the
following year, or 30 days after delivery if that is later. Gifts can be exchanged after the holidays
without any rush.

## How to start a return

1. Open your order on the [tracking page](/track/) with your order number and email address.
2. Choose **Return items or make a claim**, then **Send it back**.
3. Pick the items and how many of each, tell us what is wrong, and choose a refund or a replacement.
4. We email your return number (RMA) and a prepaid label within one working day.

## What we take back

Items in the condition you received them, with their packaging and accessories where possible. You may
unpack and try things as you would in a shop. Products in our *30-day home trial* may also be used.

We cannot take back **opened beauty products** (the Olive soap set and the Face serum 30 ml) for
hygiene reasons, unless they arrived damaged, faulty or not as described.

## Refunds

We refund within **7 days** of your return reaching our warehouse, usually in 2-3. Shipping is refunded
when you return the whole order, or when the return is our mistake. We email you when the refund is
sent.

## Damaged, faulty or wrong items

These are never your cost: report them on your order page and we put them right first. After the
30 days, faulty items are covered by the 2-year warranty.
""",
        "tags": ["returns", "return policy", "30 days", "refund", "exchange", "holiday returns"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "guide",
        "policy": "",
        "title": "How to return an item, step by step",
        "summary": "Start the return on your order page, pack the items, stick on the prepaid label we "
        "email you and drop the parcel with the carrier. You can follow the return on the same page.",
        "body": """## 1. Ask for the return

Open your order on the [tracking page](/track/) and choose **Return items or make a claim**.

- Under **What do you need?** choose **Send it back**.
- Enter how many of each item you are returning. The page shows how many can still go back.
- Under **What is wrong?** tell us briefly why, for example *Too small* or *Changed my mind*.
- Choose **Refund** or **Replacement**, then **Send my request**.

## 2. Get your label

Within one working day we email your **return number (RMA)** and a link to a prepaid label. The same
instructions appear under **Returns and claims** on your order page.

## 3. Pack the parcel

- Use the original box if you still have it, or any sturdy box.
- Put in every item you listed, with its accessories, cables and manuals.
- Write the RMA number on a piece of paper and put it inside.
- Stick the label over any old labels or barcodes.

## 4. Send it

Drop the parcel at any shop or locker of the carrier named on the label, and **keep the receipt** until
your refund arrives. Cash on delivery customers: add your IBAN to the request so we can refund you.

## 5. Follow it

On your order page the return moves from **Requested** to **Approved**, **Received** and
**Resolved**. We email you at each step and send your refund within 7 days of receiving the parcel.
""",
        "tags": ["return", "how to return", "label", "rma", "send back"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "How do I exchange an item for a different one?",
        "summary": "To get the same item again, ask for a return with Replacement. For a different product, "
        "return the first for a refund and place a new order: it is the fastest way.",
        "body": """## The same item again

If your item is faulty, damaged or simply not right and you want **the same product** again:

1. Open your order on the [tracking page](/track/) and choose **Return items or make a claim**.
2. Choose **Send it back**, select the item and describe the problem.
3. Under **What would you like us to do?** choose **Replacement**.

We send the replacement as soon as the returned item is on its way back to us; for damaged or wrong
items we send it straight away, without waiting.

## A different product

We do not swap one product for another directly, because prices and stock differ. Instead:

1. Return the item you do not want, choosing **Refund**.
2. Place a new order for the product you would like.

Your new order ships within one working day, so this is quicker than waiting for us to receive the
return first. If the new order is under 50 EUR and you are returning an item from an order that had
free shipping, [write to us](/contact/) with both order numbers and we refund the new shipping cost.

## Sizes and colours

The Linen duvet cover comes in 200x200 cm, the Daypack in 22 litres. If you need a different size of a
product we sell in more than one, order it and return the one that does not fit.
""",
        "tags": ["exchange", "replacement", "swap", "different size", "return"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "My item arrived damaged",
        "summary": "Report it from your order page with a claim for a refund or a replacement, and send us "
        "photos of the item and the box. Damaged items never cost you anything.",
        "body": """## What to do

1. Take **photos** of the damage, the box and the shipping label.
2. Open your order on the [tracking page](/track/) and choose **Return items or make a claim**.
3. Choose **Send it back**, select the damaged item and write *Arrived damaged* with a short description.
4. Choose **Replacement** or **Refund** and send the request.
5. Reply to the email we send you with the photos attached.

## What happens next

- **Replacement:** we send a new one straight away by express, before the damaged one comes back.
- **Refund:** we refund the item and its share of the shipping within 3 working days of approving it.
- For **small or broken items**, such as a cracked pour-over coffee set, we often do not need them back:
  the email tells you if you can dispose of them.

## Damage you can see at the door

If the box is badly crushed or wet, you may refuse the parcel. It comes back to us and we send a new one
or refund you, whichever you prefer.

## When to report

As soon as you can, and within the 30-day return window shown on your order page. A fault that appears
later, for example headphones that stop charging after two months, is covered by our warranty: see
*Warranty and repairs*.
""",
        "tags": ["damaged", "broken", "arrived damaged", "replacement", "claim"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "I received the wrong item or something is missing",
        "summary": "First check whether the rest of your order is in another parcel. If an item is wrong or "
        "missing, report it on your order page and we send the right one at once.",
        "body": """## Is something still on its way?

Orders with several items, and large items like the Two-person tent or the Garden hose 25 m, often
travel in separate parcels. Your [order page](/track/) lists each parcel with **In this package** and
its own tracking, and the status **Partially shipped** means some items have not left us yet.

## Something is missing

If every parcel has been delivered and an item is not there:

1. Check the packaging carefully: small items such as the Face serum 30 ml can hide in the paper.
2. Choose **Report a problem with this order** on your order page and tell us which item is missing.

We check the packing weight of your parcel and send the missing item by express, usually the same
working day.

## You received the wrong item

1. Choose **Return items or make a claim**, then **Send it back**.
2. Select the item you ordered and write *Wrong item sent*, with the name on the item you received.
3. Choose **Replacement** to get the right one, or **Refund**.

We send the right item straight away and email you a prepaid label for the wrong one. Please send it back
within 14 days; you do not pay anything for the return.
""",
        "tags": ["wrong item", "missing item", "incomplete order", "partially shipped"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "faq",
        "policy": "",
        "title": "Holiday returns: gifts bought in November and December",
        "summary": "Orders placed from 15 November to 31 December can be returned until 31 January of the "
        "next year, or 30 days after delivery if that is later.",
        "body": """## Extended returns for the holidays

We know gifts are often unwrapped weeks after they arrive. So every order placed between
**15 November and 31 December** can be returned until **31 January** of the following year.

| Order placed | Delivered | Last day to start a return |
|---|---|---|
| 20 November | 23 November | 31 January |
| 18 December | 21 December | 31 January |
| 30 December | 15 January | 14 February (30 days after delivery) |
| 10 November | 13 November | 13 December (normal 30 days) |

The date that applies to your order is shown on your [order page](/track/) under **Return items or make
a claim**.

## Returning a gift you received

The return is made from the original order, so you need its **order number** and the **email address**
it was placed with. Ask the person who gave you the gift, or [write to us](/contact/) with their name and
roughly when they ordered, and we will help.

The refund goes back to the person who paid, to the way they paid. If you would rather have a
replacement, choose **Replacement** in the return request.

## Gift wrap

Gift-wrapped items can be returned like any other; the wrapping does not need to come back.
""",
        "tags": ["holiday returns", "christmas", "gifts", "returns", "january"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "returns-and-exchanges",
        "kind": "guide",
        "policy": "",
        "title": "Warranty and repairs",
        "summary": "Everything we sell has a 2-year warranty from delivery. In the first 30 days ask for a "
        "repair on your order page; after that, write to us with your order number.",
        "body": """## What is covered

Every product has a **2-year warranty** from the day it was delivered. It covers faults in materials
and workmanship, for example:

- Noise-cancelling headphones or a Portable speaker that no longer charge;
- a Wireless charging pad that stops working;
- a Hair dryer 2000 W whose fan or heater fails;
- a Two-person tent pole that splits while being pitched normally.

It does not cover normal wear, accidents, water damage to electronics that are not waterproof, or damage
from not following the care instructions (for example a cast-iron skillet put in the dishwasher).

## In the first 30 days

Open your order on the [tracking page](/track/), choose **Return items or make a claim** and then
**A repair**. Describe the fault and choose **Repair** or **Replacement**. We email a prepaid label.

## After 30 days

[Write to us](/contact/) with your order number, the product and a short description or video of the
fault. We reply within one working day with a prepaid label. Most repairs take **10-15 working days**
including shipping; if a product cannot be repaired, we replace it or refund its price.

## Product recalls

If a product you bought is recalled, we email you. You can also choose **It is part of a product
recall** on your order page: there is no time limit for recalls.

## Keep your order number

It is your proof of purchase. You can always find it in your confirmation email.
""",
        "tags": ["warranty", "guarantee", "repair", "faulty", "recall"],
        "related_skus": ["TEC-301", "TEC-302", "TEC-303", "TEC-304", "BEA-403"],
        "related_categories": ["Electronics"],
        "status": "published",
    },
    # --- Prices, offers and trials ---------------------------------------------------------------------
    {
        "category": "prices-and-offers",
        "kind": "policy",
        "policy": "price_protection",
        "title": "Price protection: we refund the difference",
        "summary": "If our price for something you bought drops within 30 days of your order, we refund the "
        "difference. Claim it on your order page before the date shown there.",
        "body": """## How it works

If the price of an item on our shop goes down within **30 days of the day you placed your order**, we
refund the difference between what you paid and the new price. It does not matter whether your order
has already been delivered.

**Example:** you order two Waffle bath towels at 24.90 EUR each on 3 March. On 20 March the price drops
to 19.90 EUR. You claim, and we refund 2 x 5.00 EUR = **10.00 EUR**.

## How to claim

1. Open your order on the [tracking page](/track/).
2. Choose **Return items or make a claim**, then **Price protection: the price dropped after I bought**.
3. Select the items and how many of each.
4. Under **What is wrong?** write the new price and the date you saw it.
5. Under **What would you like us to do?** choose **Refund**.

The last day to claim is shown on your order page as *Price protection claims: until ...*.

## When you get the money

We check the price history and, once the claim is approved, refund the difference within **3 working
days** to the way you paid. For cash on delivery orders we pay by bank transfer: add your IBAN to the
claim.

## What is covered

- Our own price for the **same product** on our shop.
- Permanent price changes and sales alike.

## What is not covered

- Prices at other shops: we do not match competitors' prices.
- Savings from discount codes, newsletter codes or loyalty offers.
- Items from a cancelled order, or items you have already returned.

## Good to know

A claim uses up the item on your order page, so it cannot be returned through the page afterwards. If
you might still send an item back, return it instead: you get the full price back. If the price falls
again after your claim, [write to us](/contact/) before your deadline and we refund the further
difference.
""",
        "tags": ["price protection", "price drop", "price guarantee", "sale", "refund difference"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "prices-and-offers",
        "kind": "policy",
        "policy": "trial",
        "title": "30-day home trial",
        "summary": "Selected products can be used at home for 30 days after delivery and sent back for a "
        "full refund even if used: the linen duvet cover, wool throw, chef's knife, headphones and "
        "speaker.",
        "body": """## Try it properly, at home

Some things only show whether they suit you after a few nights' sleep, a week of cooking or a long train
ride. For the products below you have **30 days from delivery** to use them as much as you like. If you
are not happy, send them back and we refund the full price, even if they have been used and washed.

| Product | Category |
|---|---|
| Linen duvet cover 200x200 | Home textiles |
| Wool throw blanket | Home textiles |
| Chef's knife 20 cm | Kitchen |
| Noise-cancelling headphones | Electronics |
| Portable speaker | Electronics |

Trial products are marked **30-day home trial** on the product page. The trial applies automatically;
there is nothing to sign up for.

## How to send a trial product back

1. Open your order on the [tracking page](/track/) and choose **Return items or make a claim**.
2. Choose **Send it back**, select the item and write *Home trial* under **What is wrong?**
3. Choose **Refund**. We email a prepaid label within one working day.

Your deadline is the return date shown on your order page. For orders placed between 15 November and
31 December the holiday returns date applies if it is later.

## What we ask

- Send the product back **complete**: headphones and speaker with their cables and case, the knife with
  its blade guard.
- Wash textiles once before returning them, following the care label.
- Normal signs of use are fine. Damage from misuse, such as a chipped knife edge or a burn mark, is not
  covered.

## Limits

- One trial per product per household; a second one of the same product follows the normal returns
  rules.
- The refund covers the product price. Shipping is refunded when you return the whole order.
- Products bought on clearance are not part of the trial.
""",
        "tags": ["home trial", "trial", "try at home", "30 days", "returns"],
        "related_skus": ["TEX-201", "TEX-203", "KIT-102", "TEC-302", "TEC-304"],
        "related_categories": ["Home textiles", "Kitchen", "Electronics"],
        "status": "published",
    },
    {
        "category": "prices-and-offers",
        "kind": "faq",
        "policy": "",
        "title": "My discount code did not work",
        "summary": "Most codes fail because they have expired, need a minimum order value or exclude items "
        "already on sale. Forgot to enter a valid code? Tell us within 7 days and we refund the discount.",
        "body": """## Check these first

- **Spelling:** codes are not case-sensitive, but an extra space before or after the code stops it
  working. Type it in rather than pasting it.
- **Expiry date:** every code has one, shown in the email or on the card it came with.
- **Minimum order value:** many codes need items worth 40 or 50 EUR or more, *after* any sale price and
  *before* shipping.
- **Excluded items:** codes do not apply to items that are already reduced.
- **One per order:** you can use one code per order; codes cannot be combined.
- **First order only:** the newsletter welcome code (10% off) works on your first order only, with the
  email address you signed up with.
- **Already used:** single-use codes work once, even if that order was later cancelled.

## The code worked, but the discount looks wrong

Percentage codes apply to the items, not to shipping. If an order contains excluded items, the
discount is worked out on the other items only. Your order page shows the total discount under
**Shipping, taxes and discounts**.

## I forgot to enter my code

[Write to us](/contact/) within **7 days** of ordering with your order number and the code. If the code
was valid for that order, we refund the discount to the way you paid.

## The code is still refused

Send us the code and a screenshot of the message at checkout and we will look into it, usually the same
working day.
""",
        "tags": ["discount code", "voucher", "coupon", "promo code", "not working"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "prices-and-offers",
        "kind": "guide",
        "policy": "",
        "title": "Loyalty points and tiers",
        "summary": "You earn one point for every full euro of each order. At 500 points you reach Silver "
        "and at 1,500 points Gold; your balance is shown on your order page.",
        "body": """## Earning points

You earn **1 point for every full euro** of an order's total, from the moment you place it. An order of
64.90 EUR earns 64 points. Points are added to the customer account linked to your email address, so
orders placed as a guest count too.

- If you **cancel** an order, its points are taken back.
- If you **return** items, you lose the points for the money refunded.

## Tiers

| Tier | Points | What you get |
|---|---|---|
| Bronze | 0-499 | Birthday email with a 10% code |
| Silver | 500-1,499 | Free standard delivery on every order, plus Bronze benefits |
| Gold | 1,500 and more | Free express delivery and early access to our sales, plus Silver benefits |

Your tier follows your balance: when you pass 500 or 1,500 points the new benefits apply from your next
order.

## Checking your balance

Open any order on the [tracking page](/track/): once it has shipped, the page shows your points, your
tier and how many more points you need for the next one. You can also see it when you sign in at
[your requests](/requests/).

## Questions

Points are personal and cannot be exchanged for cash or moved to another person. If an order is missing
from your balance, [write to us](/contact/) with the order number.
""",
        "tags": ["loyalty", "points", "rewards", "bronze", "silver", "gold"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Product care and manuals ----------------------------------------------------------------------
    {
        "category": "product-care",
        "kind": "manual",
        "policy": "",
        "title": "Seasoning and caring for the cast-iron skillet",
        "summary": "Rinse with hot water, dry on the hob and wipe with a drop of oil after every use. Never "
        "use the dishwasher; if rust appears, scrub it off and season the skillet again in the oven.",
        "body": """## Before first use

Your Cast-iron skillet 28 cm comes **pre-seasoned** with vegetable oil. Rinse it with hot water, dry it
thoroughly and heat it on the hob for two minutes. It works on gas, electric, ceramic and induction
hobs, in the oven up to **260 °C** and on a barbecue.

## After every use

1. Let it cool a little, then rinse with hot water. A drop of washing-up liquid is fine now and then.
2. Scrape off stuck food with a brush or a plastic scraper, or boil a little water in the pan.
3. **Dry at once**: wipe it, then warm it on the hob for a minute.
4. Rub in **half a teaspoon of oil** with kitchen paper until the surface looks dry, not greasy.

Never put the skillet in the **dishwasher** or leave it to soak: both strip the seasoning and cause
rust.

## Removing rust

Small orange spots are easy to fix:

1. Scrub the rust off with steel wool and a little water until you see bare grey iron.
2. Rinse, dry completely on the hob.
3. Season it again (below).

## Seasoning in the oven

1. Heat the oven to **230 °C**.
2. Rub a thin layer of sunflower or rapeseed oil all over, inside and out, then wipe off as much as you
   can.
3. Bake **upside down** for one hour, with a tray underneath for drips. Let it cool in the oven.

Repeat two or three times for a deep black finish. Cooking fatty foods such as bacon or fried potatoes
builds the seasoning further.

## Safety

The handle gets as hot as the pan: always use an oven glove. The skillet weighs 3.1 kg; lift it with
both hands.
""",
        "tags": ["skillet", "cast iron", "rust", "seasoning", "care", "cleaning", "pan"],
        "related_skus": ["KIT-101"],
        "related_categories": ["Kitchen"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "spec",
        "policy": "",
        "title": "Noise-cancelling headphones: specifications",
        "summary": "Over-ear Bluetooth 5.3 headphones with active noise cancelling, up to 30 hours of "
        "battery with noise cancelling on and USB-C fast charging.",
        "body": """## Specifications

| | Noise-cancelling headphones |
|---|---|
| Type | Over-ear, closed back, foldable |
| Noise cancelling | Active, with transparency mode |
| Battery | Up to 30 h with noise cancelling, 40 h without |
| Charging | USB-C, full in 2 h; 10 min gives 5 h |
| Connection | Bluetooth 5.3, two devices at once |
| Codecs | SBC, AAC |
| Wired use | 3.5 mm cable, also when the battery is empty |
| Weight | 250 g |
| In the box | Case, USB-C cable, 3.5 mm cable, flight adapter |

## First pairing

1. Hold the **power button for 5 seconds** until the light flashes blue and red.
2. On your phone, open the Bluetooth settings and choose the headphones.
3. To add a second device, repeat step 1 while the first one is connected.

## Reset

If the headphones do not connect, hold the power button and the noise-cancelling button together for
**10 seconds**, then pair them again.

## Care

Wipe the ear cushions with a slightly damp cloth. Replacement cushions are available: [ask us](/contact/).
Store the headphones in their case and charge them at least every three months.

The headphones are part of our **30-day home trial** and have a 2-year warranty.
""",
        "tags": ["headphones", "noise cancelling", "bluetooth", "battery", "specifications", "pairing"],
        "related_skus": ["TEC-302"],
        "related_categories": ["Electronics"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "manual",
        "policy": "",
        "title": "Setting up the smart LED bulbs",
        "summary": "Screw the bulb into an E27 fitting, switch it on and add it in the companion app over a "
        "2.4 GHz Wi-Fi network. To reset, switch it off and on five times.",
        "body": """## What you need

- An **E27** light fitting (the large screw type). The bulbs are not dimmable with wall dimmers.
- A **2.4 GHz** Wi-Fi network. The bulbs cannot join a 5 GHz network.
- The companion app: scan the QR code on the leaflet in the box.

Each bulb uses **9 W**, gives **806 lumens** (like a 60 W bulb), and shines from warm white (2,700 K) to
daylight (6,500 K) or in 16 million colours.

## Setting up

1. Screw in the bulb and switch it on. It flashes quickly: it is ready to pair.
2. In the app choose **Add device** and then **Light bulb**.
3. Enter your Wi-Fi name and password. If your router sends 2.4 and 5 GHz under one name, setup still
   works as long as 2.4 GHz is switched on.
4. Give the bulb a name and a room. Setting up the second bulb of the pack works the same way.

## Voice assistants

In the app, choose **Settings** and then **Voice assistants** to link the bulbs to Alexa or Google
Assistant.

## Reset

If a bulb does not flash quickly or stops responding: switch it **off and on five times**, one second
apart, at the wall switch. It flashes quickly when reset.

## Good to know

- Leave the wall switch on: the app cannot turn on a bulb that has no power.
- Not for enclosed outdoor fittings or bathrooms without ventilation.
""",
        "tags": ["smart bulb", "led", "wifi", "setup", "reset", "app"],
        "related_skus": ["TEC-303"],
        "related_categories": ["Electronics"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "spec",
        "policy": "",
        "title": "Two-person tent: specifications and pitching",
        "summary": "A 2.4 kg tunnel tent for two with two doors, a 3,000 mm waterproof flysheet and "
        "aluminium poles. It pitches flysheet first in about ten minutes.",
        "body": """## Specifications

| | Two-person tent |
|---|---|
| Sleeps | 2 |
| Inner tent | 210 x 130 cm, 105 cm high |
| Packed size | 45 x 16 cm |
| Weight | 2.4 kg including pegs and bag |
| Flysheet | Polyester, 3,000 mm waterproof, taped seams |
| Groundsheet | 5,000 mm waterproof |
| Poles | 2 aluminium, colour-coded |
| Doors and porches | 2 of each |
| Pitching time | About 10 minutes |

## Pitching

1. Peg out the four corners of the flysheet with the inner tent attached, doors closed.
2. Push the **red pole** into the red sleeve and the **grey pole** into the grey sleeve, and fix both
   ends into the eyelets.
3. Tension the straps at the corners and peg out the guy lines at 45°.
4. Practise once at home before your first trip.

## Care

- **Never pack it away wet:** dry it at home within 24 hours to avoid mould, which our warranty does not
  cover.
- Brush off sand and dirt; wipe with a damp cloth. No washing machine.
- Store it loosely, not in the tight bag, in a dry place.

A broken pole is repaired or replaced under our 2-year warranty if it split during normal pitching.
""",
        "tags": ["tent", "camping", "specifications", "pitching", "outdoor"],
        "related_skus": ["OUT-602"],
        "related_categories": ["Outdoor"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "spec",
        "policy": "",
        "title": "Insulated bottle 750 ml: specifications and care",
        "summary": "A double-walled stainless steel bottle that keeps drinks cold for 24 hours and hot for "
        "12. Wash the body by hand; the lid can go in the dishwasher.",
        "body": """## Specifications

| | Insulated bottle 750 ml |
|---|---|
| Capacity | 750 ml |
| Material | 18/8 stainless steel, vacuum insulated; BPA-free lid |
| Keeps cold | Up to 24 hours |
| Keeps hot | Up to 12 hours |
| Size | 27 cm high, 7.3 cm across |
| Weight | 380 g empty |
| Fits | Most car and bike bottle holders |

## Care

- **Body:** wash by hand with warm water and a bottle brush. The dishwasher damages the outer coating
  and can weaken the vacuum seal.
- **Lid:** top rack of the dishwasher, or by hand. Take out the silicone ring now and then to clean it.
- For coffee or tea stains, fill with warm water and a tablespoon of baking soda, leave overnight and
  rinse.

## Do not

- Put it in the freezer or the microwave.
- Fill it with fizzy drinks: the pressure can push the lid off.
- Give hot drinks to small children from it without checking the temperature first.

## Is it still insulating?

If the outside gets warm with a hot drink inside, the vacuum has been damaged, usually by a fall. Dents
from drops are not covered, but a seal that fails without a fall is covered by our 2-year warranty.
""",
        "tags": ["bottle", "insulated", "flask", "specifications", "care", "dishwasher"],
        "related_skus": ["OUT-601"],
        "related_categories": ["Outdoor"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "guide",
        "policy": "",
        "title": "Washing linen, towels and wool",
        "summary": "Wash the linen duvet cover at 40 °C, the waffle towels at 60 °C without fabric "
        "softener, and the wool throw by hand or on a wool cycle at 30 °C.",
        "body": """## At a glance

| Product | Wash | Dry | Iron |
|---|---|---|---|
| Linen duvet cover 200x200 | 40 °C, gentle cycle | Line dry or low tumble | Medium, while damp |
| Waffle bath towel | 60 °C | Tumble dry low | No |
| Wool throw blanket | Hand or wool cycle, 30 °C | Flat, away from heat | No |

## Linen duvet cover

Linen softens with every wash. Close the buttons and turn the cover inside out. Use a mild detergent
without bleach and do not overfill the machine. Expect up to **3% shrinkage** in the first wash; the
200x200 cm size allows for it. Line drying keeps the relaxed, slightly creased look; iron while still
damp for a smoother finish.

## Waffle bath towels

Wash before first use: the waffle weave becomes fuller and more absorbent after two or three washes.
**Skip fabric softener**, which coats the cotton and makes towels less absorbent. Tumble drying on low
keeps them soft.

## Wool throw blanket

Wool cleans itself well: often it is enough to air it outside for an hour. When it needs a wash, use a
wool detergent, a wool or hand-wash cycle at 30 °C and a slow spin. Press out water in a towel and dry
it **flat**. Never tumble dry. Small bobbles on new wool are normal and can be removed with a wool comb.

The duvet cover and the throw are part of our **30-day home trial**.
""",
        "tags": ["washing", "care", "linen", "towels", "wool", "laundry"],
        "related_skus": ["TEX-201", "TEX-202", "TEX-203"],
        "related_categories": ["Home textiles"],
        "status": "published",
    },
    {
        "category": "product-care",
        "kind": "manual",
        "policy": "",
        "title": "Portable speaker: pairing two speakers",
        "summary": "Two portable speakers can play together in stereo: pair the first with your phone, then "
        "hold the link buttons of both speakers.",
        "body": """## Playing in stereo

With two Portable speakers you can play the left and right channels separately, or the same sound on
both for a bigger room or a garden.

1. Switch on both speakers and pair **only the first one** with your phone.
2. Hold the **link button** (the one with two rings) on both speakers for **3 seconds**.
3. The lights flash white, then stay on when the speakers are linked.
4. Press the link button once on the first speaker to switch between **stereo** and **party** mode.

## Unlinking

Hold the link button on either speaker for 3 seconds. Each speaker can then be paired on its own again.

## Notes for this page

- Check with the maker whether speakers bought before this spring need a firmware update first.
- Add the range between the two speakers.
- Add a photo of the link button.
""",
        "tags": ["speaker", "bluetooth", "stereo", "pairing"],
        "related_skus": ["TEC-304"],
        "related_categories": ["Electronics"],
        "status": "draft",
    },
    # --- Your account and privacy ----------------------------------------------------------------------
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "I forgot my password",
        "summary": "Choose Forgot password on the sign-in page and we email you a link to set a new one. "
        "The link works for one hour.",
        "body": """## Setting a new password

1. On the sign-in page, choose **Forgot password**.
2. Enter the email address of your account.
3. Open the email we send and follow the link within **one hour**.
4. Choose a new password of at least **10 characters**.

For your security, the page looks the same whether or not an account exists for that address.

## No email?

- Wait five minutes and check your spam or junk folder.
- Make sure you used the address of your account: it is the one our order emails go to.
- Ask for a new link: only the most recent one works.

## You do not need an account to order

You can order as a guest, and you can follow any order without signing in: use your order number and
email address on the [tracking page](/track/). To follow a conversation with our care team, sign in to
[your requests](/requests/) with a one-time link we email you.

## Account locked or email address lost?

After several wrong passwords, sign-in pauses for 15 minutes. If you no longer have access to the email
address of your account, [write to us](/contact/) from your new address with a recent order number, and
we will move your account after checking it is yours.
""",
        "tags": ["password", "sign in", "login", "account", "reset"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "How do I change my email address or account details?",
        "summary": "Change your name, addresses and password in your account settings. To change your email "
        "address, write to us from the address you want to use.",
        "body": """## Things you can change yourself

Sign in and open **Account settings** to change:

- your name and phone number;
- your saved delivery and billing addresses;
- your password;
- your newsletter preferences.

Changes apply to future orders. To change the address of an order that has not shipped yet, see
*How do I change my delivery address?*

## Changing your email address

Your email address identifies you across our shop and our care team, so we change it for you:

1. [Write to us](/contact/) **from the new address**.
2. Tell us the old address and a recent order number.

We move your account, your order history and your loyalty points to the new address, usually within
one working day, and send a confirmation to both addresses.

## Two accounts?

If you have ordered with two email addresses, we can merge them into one customer record so your orders
and loyalty points are in one place. Write to us from either address and tell us the other one.

## Closing your account

See *What do you do with my data?* for how to close your account and have your data deleted.
""",
        "tags": ["account", "email address", "change details", "merge accounts", "profile"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "How do I stop marketing emails?",
        "summary": "Use the unsubscribe link at the bottom of any newsletter, or untick the newsletter in "
        "your account settings. Order update emails have their own opt-out link.",
        "body": """## Newsletters and offers

We only send offers, new products and sale announcements if you said yes to them. To stop them:

- select **Unsubscribe** at the bottom of any marketing email; or
- sign in and untick **Newsletter** in your account settings; or
- [write to us](/contact/) and we do it for you.

It takes effect at once. An email that was already being sent may still arrive within the next 24 hours.

## Order update emails

These are separate: we email you when an order ships, is out for delivery, is delivered, runs into a
problem or is refunded. Every one of them has a link at the bottom to **stop these emails**. Select it
and confirm with the button on the page.

If you turn them off, you can still follow every order on the [tracking page](/track/). We still send
the order confirmation, and replies to questions you send us.

## Which emails can't I stop?

- Order confirmations and invoices.
- Replies from our care team and the short satisfaction survey after a request is solved (you can ignore
  it).
- Emails you ask for, such as password reset links.

## Turning emails back on

Tick **Newsletter** again in your account settings. For order updates, [write to us](/contact/).
""",
        "tags": ["unsubscribe", "newsletter", "marketing emails", "order emails", "opt out"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "account-and-privacy",
        "kind": "faq",
        "policy": "",
        "title": "What do you do with my data?",
        "summary": "We use your details to deliver your orders, answer your questions and, only if you "
        "agree, to send offers. You can ask for a copy of your data or for it to be deleted at any time.",
        "body": """## What we keep and why

| Data | Why |
|---|---|
| Name, email, phone, addresses | To deliver your orders and contact you about them |
| Orders, returns and refunds | For your order history, warranty and tax law |
| Conversations with our care team | To answer you and follow up |
| Newsletter choice | To send offers only if you agreed |

We **never see your full card number**: card and PayPal payments are handled by our payment provider.
We share your name, address and phone number with the carrier delivering your parcel, and nothing more.
We do not sell your data.

## Your rights

You can ask us to:

- send you a **copy** of the data we hold about you;
- **correct** anything that is wrong;
- **delete** your account and data;
- stop using your data for marketing.

[Write to us](/contact/) with the subject *Privacy request* from the email address of your account. We
answer within **30 days**, usually much sooner.

## What we must keep

Invoices and order records must be kept for **10 years** under tax law, even after your account is
deleted. We keep them locked away and use them for nothing else.
""",
        "tags": ["privacy", "data", "gdpr", "delete account", "personal data"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    # --- Contact and support ---------------------------------------------------------------------------
    {
        "category": "contact-and-support",
        "kind": "faq",
        "policy": "",
        "title": "How to contact us",
        "summary": "For anything about an order, use the buttons on your order page. For everything else, "
        "use our contact form: we answer by email within one working day, usually much sooner.",
        "body": """## About an order

Open your order on the [tracking page](/track/) with your order number and email address. From there
you can:

- **Return items or make a claim**: returns, replacements, price protection, repairs and recalls;
- **Cancel this order**, while it has not shipped;
- **Report a problem with this order**: anything else, from a late parcel to a change of address.

These requests reach our team with your order attached, so we can act without asking you for details.

## Everything else

Use our [contact form](/contact/). As you type your subject, we show help articles that may answer
your question straight away. If not, send the form and we answer by email.

| | Hours (Berlin time) |
|---|---|
| Monday to Friday | 8:00-18:00 |
| Saturday | 9:00-13:00 |

We answer **within one working day**, most messages within a few hours. Urgent payment problems, such
as a double charge, go to the front of the queue.

## Tips for a quick answer

- Include your **order number**.
- Attach photos for damaged or wrong items.
- Reply to our email rather than starting a new message, so the whole conversation stays together.
""",
        "tags": ["contact", "support", "customer service", "email", "opening hours"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
    {
        "category": "contact-and-support",
        "kind": "guide",
        "policy": "",
        "title": "Following your requests online",
        "summary": "See all your conversations with our care team at /requests/: enter your email address "
        "and sign in with the link we send you. No password needed.",
        "body": """## Signing in

1. Go to [your requests](/requests/).
2. Enter the email address you write to us from.
3. Open the email we send and select the sign-in link. It works for **one hour** and only once.

You stay signed in on that device for a day. For your privacy, the page looks the same whether or not we
have requests from that address, so nobody can find out who writes to us.

## What you can do there

- See every request you sent us, open or solved, with the latest first.
- Read the whole conversation, including our replies.
- **Answer** us or add details and photos without searching for the email.
- See your loyalty points and tier.

## Replying by email works too

Every email from our care team can simply be answered: your reply is added to the same request. Please
keep the subject line as it is.

## After we solve your request

We send a short survey asking how we did: one click on a rating is enough. If the problem comes back,
reply to our last email or write again on the requests page and we reopen it.
""",
        "tags": ["requests", "tickets", "follow up", "sign in", "support"],
        "related_skus": [],
        "related_categories": [],
        "status": "published",
    },
]
