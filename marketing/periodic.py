from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="marketing.run_campaigns",
        task="marketing.run_campaigns",
        every=timedelta(seconds=60),
        description="Empieza las campañas programadas, pone en cola el siguiente lote de "
        "cada una (su ritmo por minuto) y elige la variante ganadora de las pruebas A/B.",
    ),
    Periodic(
        name="marketing.run_sequences",
        task="marketing.run_sequences",
        every=timedelta(seconds=60),
        description="Avanza un paso a cada contacto de las secuencias al que le toca.",
    ),
    Periodic(
        name="marketing.run_social_posts",
        task="marketing.run_social_posts",
        every=timedelta(seconds=60),
        description="Programa en los huecos libres las publicaciones sociales aprobadas y "
        "publica las que tocan (una vez cada una).",
    ),
    Periodic(
        name="marketing.refresh_social_tokens",
        task="marketing.refresh_social_tokens",
        crontab={"minute": "30", "hour": "7"},
        description="Pregunta a Meta cuándo caduca el token de cada página de Facebook, para "
        "avisar al equipo días antes.",
    ),
    Periodic(
        name="marketing.record_offer_redemptions",
        task="marketing.record_offer_redemptions",
        every=timedelta(minutes=5),
        description="Lee los eventos de Stripe recibidos (pagos y facturas con descuento) y "
        "anota cada uso de un código de oferta una vez.",
    ),
    Periodic(
        name="marketing.draft_weekly_insights",
        task="marketing.draft_weekly_insights",
        crontab={"minute": "0", "hour": "8", "day_of_week": "1"},
        description="Los lunes, el resumen con IA de la semana anterior (embudo por origen) "
        "para revisar; solo puede citar las cifras que se le dan.",
    ),
    Periodic(
        name="marketing.sync_ad_audiences",
        task="marketing.sync_ad_audiences",
        every=timedelta(minutes=30),
        description="Sincroniza los públicos de anuncios con sus segmentos (solo contactos "
        "con consentimiento; quita a quien lo retiró).",
    ),
    Periodic(
        name="marketing.sync_hubspot_due",
        task="marketing.sync_hubspot_due",
        every=timedelta(minutes=1),
        description="Envía a HubSpot los contactos y negocios pendientes o por reintentar, y "
        "retoma los que dejó a medias un proceso caído.",
    ),
    Periodic(
        name="marketing.send_ga4_due",
        task="marketing.send_ga4_due",
        every=timedelta(minutes=1),
        description="Envía a Google Analytics las conversiones pendientes o por reintentar "
        "(solo de quien aceptó la medición).",
    ),
    Periodic(
        name="marketing.retry_blog_posts",
        task="marketing.retry_blog_posts",
        every=timedelta(minutes=10),
        description="Envía al blog las entradas pendientes: las que fallaron por un error "
        "pasajero y las que se pidieron y cuya tarea se perdió.",
    ),
    Periodic(
        name="marketing.draft_missed_lesson_social_posts",
        task="marketing.draft_missed_lesson_social_posts",
        every=timedelta(minutes=10),
        description="Pide los borradores para redes de las lecciones publicadas cuya tarea "
        "se perdió.",
    ),
    Periodic(
        name="marketing.send_due_consent_confirmations",
        task="marketing.send_due_consent_confirmations",
        every=timedelta(minutes=5),
        description="Envía el email de confirmación de suscripción cuya tarea se perdió.",
    ),
)
