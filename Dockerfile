# Production image: migrations, then gunicorn serving webhook_handler:create_app().
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

RUN useradd --create-home --uid 10001 whatsapp
COPY --chown=whatsapp:whatsapp . .
RUN pybabel compile -d translations && chmod +x deploy/boot.sh && mkdir -p instance && chown whatsapp:whatsapp instance
USER whatsapp

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["deploy/boot.sh"]
