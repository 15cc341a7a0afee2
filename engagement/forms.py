from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.services.assignments import MAX_TEXT

MAX_FILE_BYTES = 10 * 1024 * 1024


class SubmissionForm(forms.Form):
    text = forms.CharField(
        label=_("Tu respuesta"), required=False, max_length=MAX_TEXT, widget=forms.Textarea
    )
    file = forms.FileField(label=_("O adjunta un archivo (máx. 10 MB)"), required=False)

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file and file.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("El archivo supera los 10 MB."))
        return file


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Tu pregunta"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
