"""Thin tasks. No Celery retries: the retry policy lives on the Delivery row (the broker
is not durable), and the sweeper resumes any delivery from the database alone."""

from celery import shared_task

from courseops.outbound.services import delivery


@shared_task(name="outbound.send_delivery", ignore_result=True)
def send_delivery(delivery_pk):
    delivery.delivery_send(delivery_pk=delivery_pk)


@shared_task(name="outbound.sweep", ignore_result=True)
def sweep_deliveries():
    delivery.deliveries_sweep()
