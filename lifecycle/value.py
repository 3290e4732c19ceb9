"""What customers are worth: RFM quintiles over everyone who has bought, computed set-based in one
statement per run (window functions over the customers' summary columns), never a loop in Python."""

from datetime import datetime

from django.db import connection, transaction

from customers.models import Customer

# Each score is the customer's quintile among buyers, 5 the best: most recent order, most orders,
# most spent. Ties are split by id, so every quintile holds a fifth of the buyers.
_SCORE = """
UPDATE customers_customer
SET rfm_recency = scored.recency, rfm_frequency = scored.frequency, rfm_monetary = scored.monetary
FROM (
    SELECT id,
        NTILE(5) OVER (ORDER BY last_order_at, id) AS recency,
        NTILE(5) OVER (ORDER BY orders_count, id) AS frequency,
        NTILE(5) OVER (ORDER BY total_spent, id) AS monetary
    FROM customers_customer
    WHERE merged_into_id IS NULL AND orders_count > 0 AND last_order_at IS NOT NULL
) AS scored
WHERE customers_customer.id = scored.id
  AND (customers_customer.rfm_recency IS DISTINCT FROM scored.recency
       OR customers_customer.rfm_frequency IS DISTINCT FROM scored.frequency
       OR customers_customer.rfm_monetary IS DISTINCT FROM scored.monetary)
"""


def rfm_score(*, now: datetime) -> str:
    """A tick job: score every buyer; a customer whose orders were all cancelled loses the score."""
    sql = _SCORE if connection.vendor == "postgresql" else _SCORE.replace("IS DISTINCT FROM", "IS NOT")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            scored = cursor.rowcount
        cleared = Customer.objects.filter(orders_count=0, rfm_recency__isnull=False).update(
            rfm_recency=None, rfm_frequency=None, rfm_monetary=None
        )
    return f"RFM: {scored} customers rescored, {cleared} cleared"
